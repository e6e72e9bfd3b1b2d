"""The plan says whether the people appraised see the ranking list: ``publication: {ranking: true}``."""
import pytest

from review.plans.yaml_io import PlanInvalid, dump_plan, load_plan

from .world import PLAN, RANKED


def test_ranking_is_off_unless_the_plan_publishes_it_and_survives_a_round_trip():
    assert load_plan(PLAN).publish_ranking is False
    plan = load_plan(RANKED)
    assert plan.publish_ranking is True
    text = dump_plan(plan)
    assert "publication:\n  ranking: true" in text and load_plan(text).publish_ranking is True
    assert "publication" not in dump_plan(load_plan(PLAN))


@pytest.mark.parametrize("value,problem", [
    ("publication: {ranking: yes please}", "publication › ranking: ranking must be true or false"),
    ("publication: {ranks: true}", "publication: unknown key 'ranks'"),
    ("publication: [ranking]", "publication: must be a mapping"),
])
def test_a_wrong_publication_key_is_named(value, problem):
    with pytest.raises(PlanInvalid) as e:
        load_plan(PLAN + value + "\n")
    assert any(p.startswith(problem) for p in e.value.problems), e.value.problems
