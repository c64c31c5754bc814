"""Property-based fuzz of every HTTP operation from the served OpenAPI document (schemathesis, in-process WSGI).

With the admin token (the ingest key for the batch API, the Open311 key for posting), schemathesis's default
checks: no 5xx, every status, content type, header and body as documented, and every 4xx in the documented error
shape. Bounded and derandomized (GRIDPULSE_FUZZ_EXAMPLES per operation), so the run is the same every time and
short enough for ``make test``.
"""

from __future__ import annotations

import os

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.config import SchemathesisConfig  # noqa: E402
from schemathesis.openapi.checks import RejectedPositiveData  # noqa: E402
from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: E402

from dashboard.api.openapi import OPS  # noqa: E402
from tests.dashboard.conftest import ADMIN, STREET1, STREET2  # noqa: E402

INGEST_KEY, OPEN311_KEY = "ingest-key-0001", "open311-key-0001"
# per operation, both modes together; GRIDPULSE_FUZZ_EXAMPLES=500 for a longer hunt
MAX_EXAMPLES = int(os.environ.get("GRIDPULSE_FUZZ_EXAMPLES", "30"))
# negative_data_rejection: schemathesis's refusals, and 413/414 (a body or query string it stretched past the caps)
REFUSALS = ["400", "401", "403", "404", "405", "406", "409", "413", "414", "415", "422", "428", "429", "5xx"]
CONFIG = {"checks": {"negative_data_rejection": {"expected-statuses": REFUSALS}}}
# positive_data_acceptance: the 400s a JSON Schema cannot state, by error code, each with its rule (also in the README)
SEMANTIC = {
    "unknown_category": "a ticket's category must be a code of the category table",
    "missing_device": "OsmAnd names its device by id or deviceid: either one, neither is optional",
    "missing_position": "OsmAnd's lat and lon come together (or location=lat,lon): half a position is refused",
    "unknown_device": "OsmAnd's id or deviceid must be a device of the roster",
    "street_required": "an admin token must name the street (?street=) that a street token implies",
    "bad_parent": "a grid or community filter must lie inside the street (and community) given with it",
    "bad_period": "from <= to, within the route's longest period",
    "bad_version": "a JSON integer is written without a fraction: 60.0 is refused where JSON Schema counts it an "
                   "integer (JSON bodies stay strict)",
    "repeated_field": "a form field is one value (photos aside, sent as files): a field repeated with different "
                      "values is refused, which a form's schema of an array cannot state",
}


@pytest.fixture(scope="module")
def fuzz_app(redis_url, tmp_path_factory):
    """One app for every operation (built once: a module's worth of fuzzing shares its tickets and Redis keys)."""
    import uuid

    import redis

    from dashboard.app import create_app
    from dashboard.auth import TokenRegistry
    from dashboard.ticket_setup import ticket_extension
    from streams.roster import Roster
    from streams.settings import StreamSettings
    from tests.conftest import make_box_district
    from tests.dashboard.conftest import FakeReader
    from tickets.settings import load_settings
    from tickets.store.sql import SqlTicketStore

    tmp_path, key_prefix = tmp_path_factory.mktemp("fuzz"), f"t-fuzz-{uuid.uuid4().hex[:8]}"
    box_district = make_box_district()
    roster = Roster.from_district(box_district)
    fake_reader = FakeReader(roster)
    store = SqlTicketStore(f"sqlite:///{tmp_path / 'fuzz.db'}")
    store.migrate()
    tokens = TokenRegistry.from_mapping(admin=ADMIN, streets={"120110001": STREET1, "120110002": STREET2})
    streams = StreamSettings.from_env(key_prefix=key_prefix, redis_url=redis_url, ingest_key=INGEST_KEY)
    tickets = load_settings(photo_dir=tmp_path / "photos", database_url="sqlite://")
    server, _ = create_app(district=box_district, settings=streams, tokens=tokens, roster=roster, reader=fake_reader,
                           message_queue=None, extensions=[ticket_extension(store, open311_key=OPEN311_KEY,
                                                                            settings=tickets)])
    yield server
    store.engine.dispose()
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{key_prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


def error_shape(ctx, response, case):
    """A 4xx body is the documented error: {error, message} on the JSON APIs, [{code, description}] on Open311."""
    if not 400 <= response.status_code < 500:
        return None
    path = case.operation.path
    if path.startswith("/open311/"):
        if response.headers.get("Content-Type", [""])[0].startswith("application/json"):
            body = response.json()
            assert isinstance(body, list) and body and set(body[0]) == {"code", "description"}, body
            assert body[0]["code"] == response.status_code
        return None
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error", "message"}, body
    assert isinstance(body["error"], str) and isinstance(body["message"], str) and body["message"]
    return None


def positive_data_acceptance_but_semantic(ctx, response, case):
    """schemathesis's positive_data_acceptance, except a 400 whose error code is one of :data:`SEMANTIC`: valid by
    the document, refused by a rule between fields or against the app's data that a JSON Schema cannot state."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if response.status_code == 400 and semantic_code(response) in SEMANTIC:
            return None
        raise


def semantic_code(response) -> str | None:
    """The error code of a JSON refusal (None for Open311's list, which names no code: none is tolerated there)."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("error") if isinstance(body, dict) else None


@pytest.mark.parametrize(("method", "path"), [(op.method.upper(), op.path) for op in OPS])
def test_every_answer_in_the_document(fuzz_app, method, path):
    """Every one of schemathesis's default checks (status codes, content types, headers and bodies as documented, no
    5xx, the Allow of a 405, negative_data_rejection with 413/414 counted as refusals, …) plus the error shape, and
    positive_data_acceptance except a 400 whose code is in SEMANTIC (a rule between fields or against the app's
    data: unknown_category, missing_device, missing_position, unknown_device, street_required, bad_parent,
    bad_period, bad_version, repeated_field; see each entry and the README's API section). Open311's refusals name no code, so
    none of them is tolerated."""
    # the document as served, read back by schemathesis; one operation per test so a failure names its route
    config = SchemathesisConfig.from_dict(CONFIG)
    operation = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app, config=config)[path][method]
    token = INGEST_KEY if path == "/api/v1/pings" else ADMIN
    auth = {"Authorization": f"Bearer {token}"}  # given, so the negative mode breaks the input, not the token

    # valid input (the positive mode) and input that breaks the schema (the negative mode: wrong types, limits)
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE, headers=auth),
                      operation.as_strategy(GenerationMode.NEGATIVE, headers=auth))

    @given(case=cases)
    @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def exchange(case):
        if path.startswith("/open311/") and method == "POST" and isinstance(case.body, dict):
            case.body["api_key"] = OPEN311_KEY  # past the key, into the fields
        case.call_and_validate(headers=auth, additional_checks=[error_shape, positive_data_acceptance_but_semantic],
                               excluded_checks=[positive_data_acceptance])

    exchange()


def test_the_document_covers_every_api_route(fuzz_app):
    """Every Flask route under /api, /open311, /ingest and /healthz has an operation in the document."""
    doc = fuzz_app.test_client().get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.1") and "Error" in doc["components"]["schemas"]
    import re

    def shape(path):  # parameter names aside: /tickets/{ref} and /tickets/<ref> are one route
        return re.sub(r"\{[^}]*\}", "{}", path)

    documented = {(m.upper(), shape(p)) for p, ops in doc["paths"].items() for m in ops}
    for rule in fuzz_app.url_map.iter_rules():
        path = shape(re.sub(r"<[^>]*>", "{}", rule.rule))
        if not path.startswith(("/api/", "/open311/", "/ingest/", "/healthz")) or path in (
                "/api/{}", "/api/v1/openapi.json", "/open311/v2/{}"):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method, path) in documented, f"{method} {path} is not in the OpenAPI document"


def test_the_document_states_the_configured_page_size(fuzz_app):
    doc = fuzz_app.test_client().get("/api/v1/openapi.json").json
    page_size = next(p for p in doc["paths"]["/api/v1/tickets"]["get"]["parameters"] if p["name"] == "page_size")
    assert page_size["schema"]["maximum"] == fuzz_app.extensions["tickets"].settings.max_page_size
