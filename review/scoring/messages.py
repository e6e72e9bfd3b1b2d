"""Explanation texts in Chinese and English. The engine stays free of Flask, so it
carries its own small catalogue instead of gettext."""

MESSAGES = {
    "missing": ("无数据", "no data"),
    "group": ("%(group)s %(weight)s%%：平均 %(mean)s／%(top)s（%(count)s 票）",
              "%(group)s %(weight)s%%: mean %(mean)s of %(top)s (%(count)s ballots)"),
    "group_absent": ("%(group)s 无有效票，其 %(weight)s%% 权重按比例分给其他组",
                     "%(group)s has no valid ballots; its %(weight)s%% is spread over the other groups"),
    "group_withheld": ("%(group)s 有效票少于保密下限，不单独计算，其 %(weight)s%% 权重按比例分给其他组",
                       "%(group)s has too few ballots to be shown; its %(weight)s%% is spread over the other groups"),
    "pooled": ("%(groups)s（票数少，合并计算）", "%(groups)s (few ballots, pooled)"),
    "ballot_total": ("折合 %(fraction)s × %(max)s 分 = %(points)s 分", "%(fraction)s × %(max)s points = %(points)s"),
    "survey_linear": ("满意度指数 %(index)s ÷ 100 × %(max)s 分 = %(points)s 分",
                      "satisfaction index %(index)s ÷ 100 × %(max)s points = %(points)s"),
    "survey_band": ("满意度指数 %(index)s，达到 %(min)s 档，得 %(fraction)s × %(max)s 分 = %(points)s 分",
                    "satisfaction index %(index)s reaches the %(min)s band: %(fraction)s × %(max)s = %(points)s"),
    "survey_none": ("满意度指数 %(index)s，未达最低档，得 0 分", "satisfaction index %(index)s is below every band: 0"),
    "linear": ("%(value)s 在 %(low)s～%(high)s 之间线性折算：%(fraction)s × %(max)s 分 = %(points)s 分",
               "%(value)s on the line from %(low)s to %(high)s: %(fraction)s × %(max)s = %(points)s"),
    "ratio": ("%(value)s ÷ 目标 %(target)s = %(fraction)s，× %(max)s 分 = %(points)s 分",
              "%(value)s ÷ target %(target)s = %(fraction)s, × %(max)s = %(points)s"),
    "lower_better": ("%(value)s（越低越好，%(best)s 得满分，%(worst)s 得 0 分）：%(fraction)s × %(max)s 分 = %(points)s 分",
                     "%(value)s (lower is better; %(best)s full, %(worst)s zero): %(fraction)s × %(max)s = %(points)s"),
    "relative": ("%(value)s，组内平均 %(avg)s，%(direction)s %(steps)s 个步长（每步 %(per_step)s 分）：基础 %(base)s 分 %(sign)s %(delta)s 分 = %(points)s 分",
                 "%(value)s against a group average of %(avg)s: %(steps)s steps %(direction)s (%(per_step)s each): base %(base)s %(sign)s %(delta)s = %(points)s"),
    "better": ("优于平均", "better"),
    "worse": ("差于平均", "worse"),
    "rank": ("%(value)s，组内第 %(rank)s 名（共 %(n)s 人）：%(fraction)s × %(max)s 分 = %(points)s 分",
             "%(value)s ranks %(rank)s of %(n)s in the group: %(fraction)s × %(max)s = %(points)s"),
    "bonus": ("%(n)s 次 × %(per)s 分 = %(raw)s 分，上限 %(cap)s 分，得 %(points)s 分",
              "%(n)s × %(per)s = %(raw)s, capped at %(cap)s: %(points)s"),
    "deduction": ("满分 %(max)s 分，%(n)s 次 × %(per)s 分 = 扣 %(raw)s 分，扣完为止，得 %(points)s 分",
                  "%(max)s points less %(n)s × %(per)s = %(raw)s, floored at zero: %(points)s"),
    "manual": ("绩效办录入 %(points)s 分：%(reason)s", "entered by the performance office, %(points)s: %(reason)s"),
    "manual_clamped": ("录入值 %(entered)s 超出 0～%(max)s，按 %(points)s 分计",
                       "entered %(entered)s is outside 0–%(max)s; counted as %(points)s"),
    "capped_total": ("合计 %(raw)s 分，超过满分 %(max)s 分的部分不计", "sum %(raw)s exceeds the maximum %(max)s; capped"),
    "veto": ("一票否决：%(name)s", "veto: %(name)s"),
    "rollup_mean": ("各期得分（%(parts)s）平均得分率 %(fraction)s × %(max)s 分 = %(points)s 分",
                    "periods (%(parts)s): mean share %(fraction)s × %(max)s = %(points)s"),
    "rollup_last": ("取最后一期（%(parts)s）得分率 %(fraction)s × %(max)s 分 = %(points)s 分",
                    "last period (%(parts)s): share %(fraction)s × %(max)s = %(points)s"),
    "rollup_sum": ("各期得分（%(parts)s）合计 %(raw)s 分，上限 %(max)s 分，得 %(points)s 分",
                   "periods (%(parts)s) add up to %(raw)s, capped at %(max)s: %(points)s"),
    "incomplete": ("%(n)s 项指标尚无数据，总分为暂计，暂不评定等次",
                   "%(n)s indicators have no data yet: the total is provisional and no grade is given"),
    "check": ("%(name)s：为组内平均的 %(ratio)s，要求 %(range)s", "%(name)s: %(ratio)s of the group average, expected %(range)s"),
    "adjusted": ("复核调整：由 %(before)s 分调整为 %(after)s 分（%(reason)s）",
                 "adjusted on review from %(before)s to %(after)s points (%(reason)s)"),
    "src_batch": ("来源：%(what)s，%(date)s 导入", "source: %(what)s, imported %(date)s"),
    "src_entry": ("来源：补录（%(reason)s），%(reviewer)s 于 %(date)s 审核通过",
                  "source: entered by hand (%(reason)s), approved by %(reviewer)s on %(date)s"),
    "src_claim": ("申报：%(title)s，%(n)s 次，%(date)s 批准", "claim: %(title)s, %(n)s, approved %(date)s"),
    "src_deduction": ("扣分记录：%(title)s，%(n)s 次，%(date)s 记录", "deduction: %(title)s, %(n)s, recorded %(date)s"),
    "src_register": ("%(register)s：%(title)s（%(date)s）", "%(register)s: %(title)s (%(date)s)"),
    "src_office": ("绩效办录入 %(n)s 次：%(reason)s", "entered by the performance office, %(n)s: %(reason)s"),
    "check_no_average": ("%(name)s：组内无可比较的平均值", "%(name)s: no group average to compare with"),
}

GROUP_NAMES = {
    "self": ("自评", "self"), "peer": ("同事互评", "peers"), "leader": ("领导评价", "leaders"),
    "democratic": ("民主测评", "democratic evaluation"), "middle": ("中层干部", "middle managers"),
    "outside": ("外部评价", "outside bodies"),
}


REGISTER_NAMES = {
    "bulletin": ("信息简报", "bulletin"), "commendation": ("表彰奖励", "commendation"),
    "publicity": ("宣传报导", "publicity"), "research": ("理论调研", "research paper"),
    "discipline": ("惩戒", "disciplinary record"),
}


def t(lang: str, key: str, **params) -> str:
    zh, en = MESSAGES[key]
    return (en if lang == "en" else zh) % params


def register_name(lang: str, kind: str) -> str:
    zh, en = REGISTER_NAMES.get(kind, (kind, kind))
    return en if lang == "en" else zh


def group_name(lang: str, group: str) -> str:
    zh, en = GROUP_NAMES.get(group, (group, group))
    return en if lang == "en" else zh
