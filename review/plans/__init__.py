"""Assessment plans (考核方案) as data: indicator trees, sources, scales, grade rules."""
