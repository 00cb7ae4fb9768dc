"""Bounded input (issue 12, items 1, 3, 4, 5, 7): numbers against their columns, texts against their
lengths, typed route ids, Chinese errors outside development, and the limits on a request body."""

import json
import socket
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from rest_framework.authtoken.models import Token

from ledger.models import Event
from matters.models import Matter, Step
from publicity.models import CorrectionRequest
from records.models import Record
from utilities.bounds import decimal_bounded, text_bounded
from zhifa.demo import demo_load
from zhifa.tests.worlds import rolled_back_module

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo agency, loaded once for the module inside a transaction rolled back at its end;
    each test runs in a savepoint of it."""
    data = tmp_path_factory.mktemp("demo")
    with override_settings(DATA_DIR=data, ZHIFA_BLOB_STORE=f"file://{data}/blobs"), rolled_back_module(django_db_blocker):
        with django_db_blocker.unblock():
            loaded = demo_load()
        yield loaded


def test_the_demo_world_is_numbered_as_a_committed_one_would_be(demo):
    assert Event.objects.exists()
    assert not Event.objects.filter(index__isnull=True).exists()


def _api(client, user):
    token = Token.objects.get_or_create(user=user)[0]
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {token.key}"
    return client


def _filed_penalty(agency):
    return Matter.objects.get(agency=agency, title="粉尘清扫制度未落实")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("1e12", "罚款数额超出上限"),
        ("99999999999999.99", "罚款数额超出上限"),
        ("0.001", "罚款数额最多保留两位小数"),
        ("-5", "罚款数额不能为负数"),
        ("NaN", "罚款数额应为有限的数字"),
        ("一万", "罚款数额应为数字"),
    ],
)
def test_a_fine_out_of_its_column_is_refused_in_chinese_and_every_page_still_answers(
    demo, client, amount, message
):
    officer = demo.staff.get(username="officer1")
    matter = _filed_penalty(demo)
    steps = Step.objects.count()
    api = _api(client, officer)
    response = api.post(
        f"/api/v1/matters/{matter.pk}/transitions/propose/",
        {
            "data": {
                "facts": "铝粉尘积尘",
                "basis": "《工贸企业粉尘防爆安全规定》第十四条",
                "decision": "罚款",
                "amount": amount,
            }
        },
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    detail = response.json()["detail"]
    assert message in detail and "格式不正确" not in detail
    assert Step.objects.count() == steps
    matter.refresh_from_db()
    assert matter.state == "filed" and matter.fine_amount is None
    client.defaults.pop("HTTP_AUTHORIZATION")
    client.force_login(officer)
    for url in ("/", "/matters/", "/matters/workbench/", f"/matters/{matter.pk}/"):
        assert client.get(url).status_code == 200, url
    assert client.get(f"/api/v1/matters/{matter.pk}/").status_code == 200
    assert client.get("/api/v1/matters/").status_code == 200


def test_the_number_helper_keeps_what_fits_and_names_the_field():
    assert decimal_bounded("1500.5", label="罚款数额（元）", max_digits=14, decimal_places=2) == Decimal("1500.50")
    assert decimal_bounded("1.500", label="x", max_digits=14, decimal_places=2) == Decimal("1.50")
    assert decimal_bounded("999999999999.99", label="x", max_digits=14, decimal_places=2)
    with pytest.raises(ValidationError, match="抽查比例超出上限：最大为 100"):
        decimal_bounded("100.01", label="抽查比例（%）", max_digits=5, decimal_places=2, maximum=100)
    with pytest.raises(ValidationError, match="最多保留两位小数"):
        decimal_bounded("1234567890123456789012345678.001", label="x", max_digits=40, decimal_places=2)
    with pytest.raises(ValidationError, match="事由过长：最多 3 个字"):
        text_bounded("四个字啊", label="事由", max_length=3)


def test_bad_route_ids_missing_officers_and_long_queries_are_no_server_errors(demo, client):
    chief = demo.staff.get(username="chief1")
    api = _api(client, chief)
    assert api.get("/api/v1/records/null,null/").status_code == 404
    assert api.get("/api/v1/records/null,null/").json()["detail"]
    missing = api.get("/api/v1/officers/987654321/assignable/")
    assert missing.status_code == 404 and "不存在" in missing.json()["detail"]
    long = api.get("/api/v1/records/", {"q": "查" * 20000})
    assert long.status_code == 400 and "查询条件过长" in long.json()["detail"]
    assert api.get("/api/v1/matters/", {"q": "x" * 20000}).status_code == 400
    nul = api.get("/api/v1/matters/", {"q": "a\x00b"})  # PostgreSQL refuses to compare it: was a 500
    assert nul.status_code == 400 and "NUL" in nul.json()["detail"]
    client.defaults.pop("HTTP_AUTHORIZATION")
    client.force_login(chief)
    page = client.get("/records/", {"q": "x" * 20000})
    assert page.status_code == 400 and "查询条件过长" in page.content.decode()


@override_settings(DEBUG=False)
def test_outside_development_errors_are_chinese_pages_and_json_under_the_api(demo, client):
    client.force_login(demo.staff.get(username="chief1"))
    page = client.get("/matters/no-such-page/")
    assert page.status_code == 404 and "页面不存在" in page.content.decode()
    api = client.get("/api/v1/no-such-route/")
    assert api.status_code == 404 and api["Content-Type"].startswith("application/json")
    assert "不存在" in api.json()["detail"]
    from zhifa.errors import server_error

    request = client.get("/").wsgi_request
    assert "服务器内部错误" in server_error(request).content.decode()
    request.path = "/api/v1/me/"
    assert "服务器内部错误" in json.loads(server_error(request).content)["detail"]


def test_schema_says_what_the_api_returns(demo, client):
    client.force_login(demo.staff.get(username="chief1"))
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    party = components["Matter"]["properties"]["party"]
    assert party.get("nullable") or any(p.get("nullable") for p in party.get("allOf", []) + party.get("oneOf", []))
    history = schema["paths"]["/api/v1/records/{id}/history/"]["get"]["responses"]["200"]
    page = history["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert components[page]["properties"]["results"]["type"] == "array"
    assert components[page]["properties"]["next"]["nullable"] is True
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/records/{id}/history/"]["get"]["parameters"]}
    assert parameters["limit"]["schema"]["type"] == parameters["events_before"]["schema"]["type"] == "integer"
    assert components["MatterOpen"]["properties"]["title"]["maxLength"] == 200
    assert components["RecordUpload"]["properties"]["title"]["maxLength"] == 200
    assert schema["paths"]["/api/v1/records/{id}/"]["get"]["parameters"][0]["schema"]["type"] == "integer"


def test_a_record_title_longer_than_its_column_is_refused_before_the_file_is_stored(demo, client, settings):
    officer = demo.staff.get(username="officer1")
    api = _api(client, officer)
    blobs = settings.DATA_DIR / "blobs"
    before = sorted(blobs.rglob("*")) if blobs.exists() else []
    records = Record.objects.count()
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("现场笔录.txt", "现场检查笔录".encode(), content_type="text/plain")
    response = api.post("/api/v1/records/", {"file": upload, "title": "长" * 350_000})
    assert response.status_code == 400
    assert "title" in response.json()["detail"] and "ErrorDetail" not in response.json()["detail"]
    assert Record.objects.count() == records
    assert (sorted(blobs.rglob("*")) if blobs.exists() else []) == before


def test_an_anonymous_correction_request_of_a_megabyte_is_refused_and_nothing_is_stored(demo, client):
    from publicity.models import Publication

    item = Publication.objects.filter(state="published").first()
    assert item is not None
    url = f"/public/decisions/{item.pk}/correction/"
    response = client.post(
        url,
        {
            "applicant": "张三",
            "contact": "13800000000",
            "statement": "错" * 1_000_000,
            "evidence": "见附件",
        },
    )
    assert response.status_code == 200
    assert "5000" in " ".join(response.context["form"].errors["statement"])
    assert not CorrectionRequest.objects.exists()


def test_nested_field_errors_read_as_chinese_sentences_not_python(demo, client):
    officer = demo.staff.get(username="officer1")
    matter = _filed_penalty(demo)
    api = _api(client, officer)
    response = api.post(
        f"/api/v1/matters/{matter.pk}/transitions/propose/",
        {"service": {"method": "direct", "served_at": "not a time"}, "officers": ["x"]},
        content_type="application/json",
    )
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "ErrorDetail" not in detail and "{" not in detail
    assert "service.served_at：" in detail and "officers[0]：" in detail


@override_settings(ZHIFA_MAX_FILE_SIZE=1000)
def test_a_body_over_the_file_limit_is_refused_in_chinese_by_the_app(demo, client):
    client.force_login(demo.staff.get(username="officer1"))
    from zhifa.errors import max_body_size

    too_big = str(max_body_size() + 1)
    api = client.post("/api/v1/records/", data=b"x", content_type="application/octet-stream", CONTENT_LENGTH=too_big)
    assert api.status_code == 413 and "超过系统上限" in api.json()["detail"]
    page = client.post("/records/upload/", data=b"x", content_type="application/octet-stream", CONTENT_LENGTH=too_big)
    assert page.status_code == 413 and "超过系统上限" in page.content.decode()


@override_settings(ZHIFA_MAX_FILE_SIZE=1000)
def test_the_server_caps_a_body_where_the_app_does_and_says_so_in_chinese():
    from waitress.server import create_server

    from zhifa.errors import max_body_size, waitress_limits

    def app(environ, start_response):  # pragma: no cover - never reached: waitress refuses first
        start_response("200 OK", [])
        return [b"ok"]

    limits = waitress_limits()
    assert limits["max_request_body_size"] == max_body_size() + 1
    server = create_server(app, host="127.0.0.1", port=0, **limits)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        with socket.create_connection(("127.0.0.1", server.effective_port), timeout=10) as conn:
            length = max_body_size() + 10
            conn.sendall(f"POST /api/v1/records/ HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n".encode())
            reply = b""
            while chunk := conn.recv(65536):
                reply += chunk
        head, _, body = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 413")
        assert "超过系统上限" in json.loads(body)["detail"]
    finally:
        server.close()


# Request texts that need no maxLength of their own, each with the reason.
UNBOUNDED_TEXT_OK = {
    "/api/v1/auth/token/": "the log-in: username and password are checked, never stored",
    ".device": "a device is looked up by its serial, never stored as text",
}


def _unbounded_texts(schema) -> list[str]:
    """Every string a request body may carry with no maxLength (enums and formatted values aside)."""
    components = schema["components"]["schemas"]
    found = []

    def walk(node, where):
        if "$ref" in node:
            node = components[node["$ref"].rsplit("/", 1)[-1]]
        for key in ("allOf", "oneOf", "anyOf"):
            for part in node.get(key, []):
                walk(part, where)
        if node.get("readOnly"):
            return
        if node.get("type") == "string" and "enum" not in node and "format" not in node and "maxLength" not in node:
            found.append(where)
        if node.get("type") == "array":
            walk(node.get("items", {}), f"{where}[]")
        for name, child in node.get("properties", {}).items():
            walk(child, f"{where}.{name}")
        if isinstance(node.get("additionalProperties"), dict):
            walk(node["additionalProperties"], f"{where}{{}}")

    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for content in operation.get("requestBody", {}).get("content", {}).values():
                walk(content["schema"], f"{method.upper()} {path} ")
    return [w for w in found if not any(key in w for key in UNBOUNDED_TEXT_OK)]


def test_every_text_a_request_may_carry_has_a_declared_length(demo, client):
    client.force_login(demo.staff.get(username="chief1"))
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    assert _unbounded_texts(schema) == []


def test_every_form_of_the_product_bounds_its_texts_and_numbers():
    import importlib
    import inspect

    from django import forms
    from django.conf import settings as django_settings

    from utilities.forms import Bounded

    unbounded = []
    for app in django_settings.INSTALLED_APPS:
        if "." in app:
            continue
        try:
            module = importlib.import_module(f"{app}.forms")
        except ModuleNotFoundError:
            continue
        for name, cls in inspect.getmembers(module, inspect.isclass):
            ours = cls.__module__ == module.__name__ and issubclass(cls, forms.BaseForm)
            if ours and not issubclass(cls, Bounded):
                unbounded.append(f"{module.__name__}.{name}")
    assert unbounded == []


def test_a_form_page_refuses_a_paragraph_past_its_bound_and_opens_nothing(demo, client):
    officer = demo.staff.get(username="officer1")
    client.force_login(officer)
    matters = Matter.objects.count()
    response = client.post(
        "/matters/new/",
        {"kind": "inspection", "procedure": "general", "title": "日常检查", "facts": "查" * 20_001,
         "confidentiality": "normal", "officers": [officer.pk]},
    )
    assert response.status_code == 200
    assert "20000" in " ".join(response.context["form"].errors["facts"])
    assert Matter.objects.count() == matters


def test_the_step_form_on_the_matter_page_refuses_a_negative_fine_in_the_same_words(demo, client):
    officer = demo.staff.get(username="officer1")
    matter = _filed_penalty(demo)
    client.force_login(officer)
    response = client.post(
        f"/matters/{matter.pk}/transitions/propose/",
        {"propose-facts": "铝粉尘积尘", "propose-basis": "第十四条", "propose-decision": "罚款", "propose-amount": "-5"},
    )
    assert response.status_code == 400
    assert "罚款数额不能为负数" in response.content.decode()
    matter.refresh_from_db()
    assert matter.state == "filed" and matter.fine_amount is None


def test_a_form_sent_without_its_csrf_token_is_refused_in_chinese(demo):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(demo.staff.get(username="officer1"))
    response = client.post("/matters/new/", {"title": "x"})
    assert response.status_code == 403 and "页面已过期" in response.content.decode()


def test_a_step_date_in_year_9999_is_refused_before_any_deadline_is_computed(demo, client):
    officer = demo.staff.get(username="officer1")
    matter = Matter.objects.get(agency=demo, title="年度执法检查")
    api = _api(client, officer)
    steps = Step.objects.count()
    response = api.post(
        f"/api/v1/matters/{matter.pk}/transitions/inspect/",
        {"data": {"place": "厂区", "time": "9999-12-31T23:59", "findings": "检查"}},
        content_type="application/json",
    )
    assert response.status_code == 400 and "1990 年至 2100 年" in response.json()["detail"]
    assert Step.objects.count() == steps
