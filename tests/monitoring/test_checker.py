"""The async checker against the fake fleet of sites: outcomes, timeouts, redirect limits,
bounded concurrency and TLS expiry."""

from __future__ import annotations

import time
from dataclasses import replace

from apps.monitoring.checker import CheckTarget, run_checks
from tests.fakes.sites import Behaviour, FakeSites


def _check(server, host, config, path="/"):
    return run_checks([CheckTarget(key=1, domain=host, url=server.url(host, path))], config)[0]


def test_check__ok_site__ok_with_status_latency_and_final_url(fake_sites, checker_config):
    result = _check(fake_sites, "acme.localhost", checker_config)

    assert (result.outcome, result.status_code, result.redirects) == ("ok", 200, 0)
    assert 0 <= result.latency_ms < 300
    assert result.final_url == fake_sites.url("acme.localhost")
    assert fake_sites.hits["acme.localhost"] == 1  # the Host header carried the domain


def test_check__slow_site__slow_outcome_with_its_latency(fake_sites, checker_config):
    result = _check(fake_sites, "slow-1.localhost", checker_config)

    assert result.outcome == "slow"
    assert result.ok
    assert result.latency_ms >= 500


def test_check__missing_page__not_found(fake_sites, checker_config):
    result = _check(fake_sites, "notfound-1.localhost", checker_config)

    assert (result.outcome, result.status_code, result.ok) == ("not_found", 404, False)


def test_check__server_error__http_error(fake_sites, checker_config):
    assert _check(fake_sites, "error-1.localhost", checker_config).outcome == "http_error"


def test_check__site_that_never_answers__timeout_at_the_deadline(fake_sites, checker_config):
    started = time.monotonic()
    result = _check(fake_sites, "hang-1.localhost", replace(checker_config, timeout=0.5))

    assert result.outcome == "timeout"
    assert 0.45 <= time.monotonic() - started < 2.0


def test_check__connection_closed_without_answer__connect_error(fake_sites, checker_config):
    result = _check(fake_sites, "reset-1.localhost", checker_config)

    assert result.outcome == "connect_error"
    assert result.error


def test_check__nothing_listening__connect_error(checker_config):
    result = run_checks([CheckTarget(1, "acme.localhost", "http://acme.localhost:9/")], checker_config)[0]

    assert result.outcome == "connect_error"


def test_check__redirect_chain_within_limit__followed_to_the_final_page(fake_sites, checker_config):
    result = _check(fake_sites, "redirect3-1.localhost", checker_config)

    assert (result.outcome, result.status_code, result.redirects) == ("ok", 200, 3)
    assert result.final_url.endswith("/r3")


def test_check__redirect_chain_beyond_limit__too_many_redirects(fake_sites, checker_config):
    result = _check(fake_sites, "redirect4-1.localhost", checker_config)

    assert result.outcome == "redirects"
    assert fake_sites.hits["redirect4-1.localhost"] == 4  # the first request and 3 redirects, no more


def test_check__redirect_loop__stops_at_the_limit(fake_sites, checker_config):
    result = _check(fake_sites, "loop-1.localhost", replace(checker_config, max_redirects=2))

    assert result.outcome == "redirects"
    assert fake_sites.hits["loop-1.localhost"] == 3


def test_check_many__more_sites_than_concurrency__never_more_in_flight_than_allowed(fake_sites, checker_config):
    for i in range(30):
        fake_sites.set(f"site{i}.localhost", Behaviour("slow", delay=0.2))
    targets = [CheckTarget(i, f"site{i}.localhost", fake_sites.url(f"site{i}.localhost")) for i in range(30)]

    results = run_checks(targets, replace(checker_config, concurrency=5, slow_ms=5000))

    assert [r.key for r in results] == list(range(30))  # one result per target, in order
    assert all(r.outcome == "ok" for r in results)
    assert fake_sites.max_active <= 5


def test_check__https__tls_expiry_read_from_the_peer_certificate(tls_material, checker_config):
    with FakeSites(ssl_context=tls_material["server_context"]) as server:
        config = replace(checker_config, ca_bundle=tls_material["ca_file"])
        result = _check(server, "secure.localhost", config)

    assert result.outcome == "ok"
    assert result.tls_expires_at == tls_material["not_after"]


def test_check__https_certificate_from_unknown_ca__tls_error(tls_material, checker_config):
    with FakeSites(ssl_context=tls_material["server_context"]) as server:
        result = _check(server, "secure.localhost", checker_config)

    assert result.outcome == "tls_error"
    assert result.tls_expires_at is None


def test_check__connect_address__every_domain_pinned_to_it(fake_sites, checker_config):
    config = replace(checker_config, connect_address="127.0.0.1")

    result = run_checks([CheckTarget(1, "shop.example.com", fake_sites.url("shop.example.com"))], config)[0]

    assert result.outcome == "ok"
    assert fake_sites.hits["shop.example.com"] == 1
