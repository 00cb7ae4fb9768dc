"""Every operation of the published OpenAPI schema, fuzzed by schemathesis with bounded examples:
no server error, and every response the schema describes matches it.

One test walks all operations (one data set, the demo agency) so that both engines stay fast:
a fixed number of examples per operation, derandomised, no shrinking, no deadline.
"""

import json

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from enterprises.models import Party
from matters.models import Instrument, Matter
from org.models import Section, Staff
from publicity.models import Publication
from records.models import Record
from review.models import LegalReview
from review.services import review_submit
from review.tests.helpers import complete_submission, make_matter
from zhifa.demo import demo_load

pytestmark = pytest.mark.django_db

LEADER_EXAMPLES = 3  # the reads once more, as the leader
EXAMPLES = 6  # per operation and id source; ~70 operations stay well under a minute per engine

# Operations that would change the data every later example depends on, or start real work
# outside the request (the token route is the log-in itself and is walked separately).
SKIP = {
    ("POST", "/api/v1/auth/token/"),
}


@schemathesis.serializer("application/offset+octet-stream")
def _raw_bytes(context, value):
    """Upload chunks (PATCH /uploads/{id}/) go as the bytes they are."""
    return {"data": value if isinstance(value, bytes) else str(value).encode()}


def _real_ids(agency, user) -> dict[str, list]:
    """Path prefix → ids that exist for this viewer, so most examples reach the code behind the 404."""
    matters = list(Matter.objects.filter(agency=agency).values_list("pk", flat=True))
    return {
        "/api/v1/matters/{id}": matters,
        "/api/v1/staff/{id}": list(Staff.objects.filter(agency=agency).values_list("pk", flat=True)),
        "/api/v1/officers/{id}": list(Staff.objects.filter(agency=agency).values_list("pk", flat=True)),
        "/api/v1/sections/{id}": list(Section.objects.filter(agency=agency).values_list("pk", flat=True)),
        "/api/v1/enterprises/{id}": list(Party.objects.filter(agency=agency).values_list("pk", flat=True)),
        "/api/v1/records/{id}": list(Record.objects.filter(agency=agency).values_list("pk", flat=True)),
        "/api/v1/reviews/{id}": list(LegalReview.objects.filter(matter__agency=agency).values_list("pk", flat=True)),
        "/api/v1/publications/{id}": list(Publication.objects.filter(agency=agency).values_list("pk", flat=True)),
        "instrument": list(Instrument.objects.filter(matter__agency=agency).values_list("pk", flat=True)),
    }


@pytest.fixture
def api_schema(client):
    agency = demo_load()
    user = agency.staff.get(username="chief1")
    # A legal review under way, so the review routes have one to show.
    matter = make_matter(agency, user.section, agency.staff.get(username="officer1"), amount="20000")
    review_submit(matter=matter, acting_user=user, **complete_submission(matter))
    token = Token.objects.create(user=user)
    client.force_login(user)
    response = client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = schemathesis.openapi.from_dict(json.loads(response.content))
    return schema, agency, user, token.key


@pytest.fixture
def wsgi_app():
    """Django's WSGI handler in the test's transaction: like Django's test client, keep the
    connection open between requests (it would otherwise be closed inside the test's atomic block)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _strategy(operation, ids):
    strategies = [operation.as_strategy()]
    names = {p.name for p in operation.path_parameters}
    for prefix, values in ids.items():
        if not values:
            continue
        if prefix == "instrument" and "instrument" in names and ids["/api/v1/matters/{id}"]:
            strategies.append(
                st.tuples(st.sampled_from(ids["/api/v1/matters/{id}"]), st.sampled_from(values)).flatmap(
                    lambda pair: operation.as_strategy(path_parameters={"id": pair[0], "instrument": pair[1]})
                )
            )
        elif operation.path.startswith(prefix) and "id" in names:
            strategies.append(
                st.sampled_from(values).flatmap(lambda v: operation.as_strategy(path_parameters={"id": v}))
            )
    return st.one_of(strategies)


def _fuzz(operation, strategy, app, headers, failures, examples=EXAMPLES) -> None:
    @settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case):
        try:
            response = case.call(app=app, headers=headers)
            case.validate_response(response, checks=[not_a_server_error, response_schema_conformance], headers=headers)
        except (Exception, BaseExceptionGroup) as exc:  # collect every failing operation, then report them together
            failures.append(f"{operation.method.upper()} {case.formatted_path}: {type(exc).__name__} {str(exc)[:1500]}")

    run()


def test_every_operation_answers_without_server_error_and_as_the_schema_says(api_schema, wsgi_app):
    schema, agency, user, token = api_schema
    ids = _real_ids(agency, user)
    headers = {"Authorization": f"Token {token}"}
    leader = Token.objects.create(user=agency.staff.get(username="leader"))
    leader_headers = {"Authorization": f"Token {leader.key}"}
    failures: list[str] = []
    seen = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIP:
            continue
        seen += 1
        _fuzz(operation, _strategy(operation, ids), wsgi_app, headers, failures)
        if operation.method.upper() == "GET":
            # The reads again as the leader, who sees what a chief does not (every pack, every section).
            _fuzz(operation, _strategy(operation, ids), wsgi_app, leader_headers, failures, examples=LEADER_EXAMPLES)
    # The supervising body's read-only API, as the demo's 司法局 account (sfj) sees it.
    sfj = {"Authorization": f"Token {Token.objects.create(user=Staff.objects.get(username='sfj')).key}"}
    body_ids = {"/api/v1/supervision/body/agencies/{id}": [agency.pk],
                "/api/v1/supervision/body/matters/{id}": ids["/api/v1/matters/{id}"]}
    body_operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.startswith("/api/v1/supervision/body/"):
            body_operations += 1
            _fuzz(operation, _strategy(operation, body_ids), wsgi_app, sfj, failures)
    assert seen > 50 and body_operations == 5
    assert not failures, "\n\n".join(failures[:40])
