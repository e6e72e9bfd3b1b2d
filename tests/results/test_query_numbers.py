"""Numbers in query strings (page, unit, department) that are not ones the database can take:
a superscript digit (str.isdigit() says yes, int() says no), a number past 64 bits, a negative one.
Each page answers, never with a 500; a page number out of range shows the first page."""
from __future__ import annotations

import pytest

from review.core.access import Role

HOSTILE = ["²", "99999999999999999999", "-1"]


@pytest.mark.parametrize("value", HOSTILE)
def test_results_filters_that_are_not_ids_are_ignored(office_client, world, value):
    for url in (f"/campaigns/{world.campaign.id}/results", f"/campaigns/{world.campaign.id}/results.xlsx"):
        for name in ("unit", "department"):
            response = office_client.get(url, query_string={name: value})
            assert response.status_code == 200, (url, name, value)


@pytest.mark.parametrize("value", HOSTILE)
def test_page_numbers_out_of_range_show_the_first_page(client, auth, make, world, value):
    admin = make.user(Role.ADMIN)
    make.commit()
    for user, url in ((world.office, "/org/people"), (admin, "/audit"),
                      (world.office, f"/campaigns/{world.campaign.id}/ballot-results"), (admin, "/users")):
        auth.logout()
        auth.as_user(user)
        first = client.get(url)
        response = client.get(url, query_string={"page": value})
        assert response.status_code == first.status_code == 200, (url, value)
