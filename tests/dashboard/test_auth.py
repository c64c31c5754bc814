import json

import pytest

from dashboard.auth import Principal, TokenConfigError, TokenRegistry, parse_street_tokens


def test_from_env_reads_admin_street_and_file(tmp_path):
    f = tmp_path / "tokens.json"
    f.write_text(json.dumps({"tokens": [
        {"token": "worker-token-1", "role": "worker", "worker_id": "W1", "name": "格格1"},
        {"token": "dept-token-01", "role": "department", "department": "城管"},
    ]}), encoding="utf-8")
    reg = TokenRegistry.from_env(environ={
        "GRIDPULSE_ADMIN_TOKEN": "admin-secret-1",
        "GRIDPULSE_STREET_TOKENS": "120110001=tokA-tokA, 120110002=tokB-tokB",
        "GRIDPULSE_TOKENS_FILE": str(f),
    })
    assert reg.principal("admin-secret-1").is_admin
    assert reg.principal("tokB-tokB") == Principal("street", name="街道 120110002", street_code="120110002")
    assert reg.principal("worker-token-1").worker_id == "W1"
    assert reg.principal("dept-token-01").department == "城管"
    assert len(reg) == 5 and reg.has_admin


@pytest.mark.parametrize("token", [None, "", "admin-secret", "admin-secret-12", "ADMIN-SECRET-1"])
def test_unknown_tokens_have_no_principal(token):
    reg = TokenRegistry.from_mapping(admin="admin-secret-1")
    assert reg.principal(token) is None


def test_no_admin_configured_means_no_admin():
    assert not TokenRegistry.from_env(environ={}).has_admin


@pytest.mark.parametrize("text", ["120110001", "=tok-tok-tok", "120110001=", "a=b=c,x"])
def test_malformed_street_tokens_are_refused(text):
    with pytest.raises(TokenConfigError):
        parse_street_tokens(text)


def test_short_tokens_and_unknown_roles_are_refused(tmp_path):
    with pytest.raises(TokenConfigError, match="at least"):
        TokenRegistry.from_mapping(admin="short")
    with pytest.raises(TokenConfigError, match="unknown role"):
        TokenRegistry.from_mapping(extra=[{"token": "long-enough-token", "role": "mayor"}])
    bad = tmp_path / "t.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(TokenConfigError, match="not valid JSON"):
        TokenRegistry.from_env(environ={"GRIDPULSE_TOKENS_FILE": str(bad)})


def test_street_scope():
    admin = Principal("admin")
    street = Principal("street", street_code="120110001")
    assert admin.scope_street() is None
    assert admin.scope_street("120110002") == "120110002"
    assert street.scope_street() == "120110001"
    assert street.scope_street("120110001") == "120110001"
    with pytest.raises(PermissionError):
        street.scope_street("120110002")
    with pytest.raises(PermissionError):
        Principal("worker", worker_id="W1").scope_street()
    assert street.can_see_street("120110001") and not street.can_see_street("120110002")


def test_authenticate_reads_bearer_then_query():
    from flask import Flask, request

    reg = TokenRegistry.from_mapping(admin="admin-secret-1")
    app = Flask("t")
    with app.test_request_context("/", headers={"Authorization": "Bearer admin-secret-1"}):
        assert reg.authenticate(request).is_admin
    with app.test_request_context("/?token=admin-secret-1"):
        assert reg.authenticate(request).is_admin
    with app.test_request_context("/", headers={"Authorization": "Basic admin-secret-1"}):
        assert reg.authenticate(request) is None
