"""The reporting line: superiors, subordinates and peers derived from the directory."""
from review.org.models import LeaderRole
from review.org.relations import relations_of

from ..factories import small_institution


def names(people):
    return sorted(p.name for p in people)


def test_staff_member_answers_to_department_head_and_has_department_peers(make):
    o = small_institution(make)
    rel = relations_of(o["s1"][0])
    assert names(rel.superiors) == ["一部主任"]
    assert names(rel.peers) == ["一部干警1", "一部干警2"]  # the head and the person who left are not peers
    assert rel.subordinates == []


def test_department_head_leads_department_and_answers_to_supervising_deputy(make):
    o = small_institution(make)
    rel = relations_of(o["h1"])
    assert names(rel.superiors) == ["副检察长甲"]
    assert names(rel.subordinates) == ["一部干警0", "一部干警1", "一部干警2"]
    assert names(rel.peers) == ["二部主任"]


def test_deputy_leads_heads_of_supervised_departments(make):
    o = small_institution(make)
    rel = relations_of(o["dep2"])
    assert names(rel.superiors) == ["检察长"]
    assert names(rel.subordinates) == ["二部主任"]
    assert names(rel.peers) == ["专职委员", "副检察长甲"]


def test_chief_leads_team_and_unsupervised_or_own_departments(make):
    o = small_institution(make)
    rel = relations_of(o["chief"])
    # 政治部 has no head: the chief, who supervises it, leads its staff directly.
    assert names(rel.subordinates) == ["专职委员", "副检察长乙", "副检察长甲", "政治部干警"]
    assert names(rel.superiors) == ["市检察长"]
    assert names(rel.peers) == ["邻县检察长"]


def test_department_without_head_answers_to_supervisor(make):
    o = small_institution(make)
    assert names(relations_of(o["s3"][0]).superiors) == ["检察长"]


def test_department_nobody_supervises_answers_to_chief(make):
    o = small_institution(make)
    d = make.department(o["county"], "新部门")
    head = make.person(department=d, role=LeaderRole.HEAD, name="新部门主任")
    assert names(relations_of(head).superiors) == ["检察长"]
    assert "新部门主任" in names(relations_of(o["chief"]).subordinates)


def test_person_who_left_has_no_relations(make):
    o = small_institution(make)
    rel = relations_of(o["left"])
    assert (rel.superiors, rel.subordinates, rel.peers) == ([], [], [])
