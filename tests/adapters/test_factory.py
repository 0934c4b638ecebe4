"""Settings → adapters (activities/adapters.py), and the e-mail rendering."""

from __future__ import annotations

from pathlib import Path

import pytest

from activities import adapters
from activities.filesystem_store import FilesystemDocumentStore
from activities.outbox import OutboxNotifier
from activities.publisher import FilesystemPublisher, HttpPublisher
from activities.s3_store import S3DocumentStore
from activities.smtp_notifier import SmtpNotifier, render_email
from activities.webhook_notifier import WebhookNotifier
from settings import Settings
from tests.adapters.conftest import make_notification


def test_defaults_need_no_server(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path)
    acts = adapters.case_activities(s)
    assert isinstance(acts.store, FilesystemDocumentStore)
    assert isinstance(acts.notifier, OutboxNotifier)
    assert isinstance(acts.publisher, FilesystemPublisher)
    assert [a.__name__ for a in acts.all] == ["send_notification", "carry_out_effects"]


def test_settings_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "LEGISFLOW_NOTIFIER": "smtp",
        "LEGISFLOW_SMTP_HOST": "mail.so.example",
        "LEGISFLOW_SMTP_PORT": "2525",
        "LEGISFLOW_SMTP_STARTTLS": "false",
        "LEGISFLOW_SMTP_PASSWORD": "mk",
        "LEGISFLOW_SMTP_FROM": "legisflow <thongbao@so.example>",
        "LEGISFLOW_DOCUMENT_STORE": "s3",
        "LEGISFLOW_S3_BUCKET": "kho-van-ban",
        "LEGISFLOW_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
        "LEGISFLOW_PUBLISHER": "http",
        "LEGISFLOW_PUBLISHER_URL": "https://portal.example/api/postings",
    }.items():
        monkeypatch.setenv(name, value)
    s = Settings(data_dir=tmp_path)
    assert s.smtp_password is not None
    assert "mk" not in repr(s)  # secrets stay out of logs
    notifier = adapters.notifier(s)
    assert isinstance(notifier, SmtpNotifier)
    assert (notifier.host, notifier.port, notifier.envelope_sender) == (
        "mail.so.example",
        2525,
        "thongbao@so.example",
    )
    store = adapters.document_store(s)
    assert isinstance(store, S3DocumentStore)
    assert store.bucket == "kho-van-ban"
    publisher = adapters.publisher(s)
    assert isinstance(publisher, HttpPublisher)
    assert publisher.url == "https://portal.example/api/postings"


def test_webhook_needs_url_and_secret(tmp_path: Path) -> None:
    with pytest.raises(adapters.AdapterConfigError, match="LEGISFLOW_WEBHOOK_URL"):
        adapters.notifier(Settings(data_dir=tmp_path, notifier="webhook"))
    with pytest.raises(adapters.AdapterConfigError, match="LEGISFLOW_WEBHOOK_SECRET"):
        adapters.notifier(Settings(data_dir=tmp_path, notifier="webhook", webhook_url="http://h/x"))
    ok = adapters.notifier(
        Settings(
            data_dir=tmp_path, notifier="webhook", webhook_url="http://h/x", webhook_secret="k"
        )
    )
    assert isinstance(ok, WebhookNotifier)


def test_missing_settings_are_reported_at_start(tmp_path: Path) -> None:
    with pytest.raises(adapters.AdapterConfigError, match="LEGISFLOW_S3_BUCKET"):
        adapters.document_store(Settings(data_dir=tmp_path, document_store="s3"))
    with pytest.raises(adapters.AdapterConfigError, match="LEGISFLOW_PUBLISHER_URL"):
        adapters.publisher(Settings(data_dir=tmp_path, publisher="http"))
    with pytest.raises(ValueError, match="usable e-mail address"):
        adapters.notifier(Settings(data_dir=tmp_path, notifier="smtp", smtp_from="legisflow"))


def test_an_email_renders_byte_identically_on_every_attempt() -> None:
    notice = make_notification()
    first = render_email(notice, "legisflow@so.example").as_bytes()
    again = render_email(notice, "legisflow@so.example").as_bytes()
    assert first == again  # same Message-ID, Date and MIME boundary: the same message
    assert b"multipart/alternative" in first


def test_an_email_links_the_case_page_in_the_workspace() -> None:
    notice = make_notification().model_copy(update={"link": "/ho-so/so-xd-daklak:q"})
    msg = render_email(notice, "legisflow@so.example", "https://vanban.daklak.gov.vn/")
    plain = msg.get_body(("plain",))
    html_part = msg.get_body(("html",))
    assert plain is not None
    assert html_part is not None
    url = "https://vanban.daklak.gov.vn/ho-so/so-xd-daklak:q"
    assert f"Open it in the workspace: {url}" in plain.get_content()
    assert f'<a href="{url}">' in html_part.get_content()
    unlinked = render_email(notice, "legisflow@so.example").get_body(("plain",))
    assert unlinked is not None
    assert "workspace" not in unlinked.get_content()
