"""The demo's counted campaigns and surveys hold nothing below k (issue 16's "done when")."""
from sqlalchemy import func, select

from review.ballots.models import AnonymousAnswer
from review.campaigns.models import Campaign
from review.extensions import db
from review.surveys.models import Survey, SurveyResponse
from review.surveys.results import k_threshold


def test_the_demo_stores_no_answer_of_a_group_or_target_below_k(demo_app):
    with demo_app.app_context():
        counted = db.session.scalars(select(Survey).where(Survey.state == "closed")).all()
        assert counted
        for survey in counted:
            k = k_threshold(survey)
            parts = db.session.execute(select(SurveyResponse.target_kind, SurveyResponse.target_id,
                                              SurveyResponse.verified, func.count())
                                       .where(SurveyResponse.survey_id == survey.id)
                                       .group_by(SurveyResponse.target_kind, SurveyResponse.target_id,
                                                 SurveyResponse.verified)).all()
            assert parts and all(n >= k for *_key, n in parts), (survey.name, parts)
        for campaign in db.session.scalars(select(Campaign).where(Campaign.ballots_counted.is_(True))):
            groups = db.session.execute(select(AnonymousAnswer.ratee_id, AnonymousAnswer.indicator,
                                               AnonymousAnswer.group, func.count())
                                        .where(AnonymousAnswer.campaign_id == campaign.id)
                                        .group_by(AnonymousAnswer.ratee_id, AnonymousAnswer.indicator,
                                                  AnonymousAnswer.group)).all()
            assert all(n >= campaign.k_threshold for *_key, n in groups), campaign.name
