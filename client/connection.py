"""Connecting to Temporal (client side): Temporal's environment configuration with legisflow's
settings on top, the pydantic data converter, metrics, and the retry of a query the worker's
time guard refused.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from temporalio import client
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.envconfig import ClientConfig, ClientConnectConfig
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from client.proofs import AttachProofs
from identity.signers import Signer
from settings import Settings

#: The failure message of an activation the worker's time guard refused
#: (``worker_runtime/time_guard.py``); a query that hit one fails with it.
STALE_CLOCK_REFUSAL = "stale workflow clock: rebuilding the case on its next workflow task"

#: How long a client keeps retrying a refused query: the next workflow task may first wait
#: out the dead worker's sticky queue (10 s) and then a poller.
QUERY_PATIENCE_SECONDS = 30.0


class ConnectError(RuntimeError):
    """Temporal could not be reached; the message is one line for people."""


def connect_config(settings: Settings) -> ClientConnectConfig:
    """Where and how to connect: Temporal's environment configuration (a profile in its TOML
    file, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_* …), with an
    explicit LEGISFLOW_TEMPORAL_ADDRESS / LEGISFLOW_NAMESPACE taking precedence."""
    config = ClientConfig.load_client_connect_config(
        profile=settings.temporal_profile,
        config_file=str(settings.temporal_config_file) if settings.temporal_config_file else None,
    )
    explicit = settings.model_fields_set
    if "temporal_address" in explicit or "target_host" not in config:
        config["target_host"] = settings.temporal_address
    if "namespace" in explicit or "namespace" not in config:
        config["namespace"] = settings.namespace
    return config


_runtimes: dict[int, Runtime] = {}


def runtime_for(settings: Settings) -> Runtime | None:
    """A runtime exporting Prometheus metrics on ``metrics_port`` (one per process)."""
    port = settings.metrics_port
    if port is None:
        return None
    if port not in _runtimes:
        _runtimes[port] = Runtime(
            telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=f"0.0.0.0:{port}"))
        )
    return _runtimes[port]


async def connect(
    settings: Settings,
    signer: Signer | None = None,
    holds: Callable[[str], bool] | None = None,
) -> Client:
    """A client of the configured Temporal; its decisions carry proofs from ``signer`` (none:
    it reads, and a decision says to sign in first), and with ``holds`` (the document
    store's ``has_blob``) only documents the store holds."""
    config = connect_config(settings)
    try:
        return await Client.connect(
            **config,
            data_converter=pydantic_data_converter,
            runtime=runtime_for(settings),
            interceptors=[
                RetryRefusedQueries(),
                AttachProofs(signer, holds=holds, roots=pinned_roots(settings)),
            ],
        )
    except RuntimeError as exc:
        # The SDK's message carries a chain of causes over several lines; people need one.
        cause = " ".join(str(exc).split())
        raise ConnectError(
            f"cannot reach Temporal at {config.get('target_host')} (namespace "
            f"{config.get('namespace')}, TLS {'on' if config.get('tls') else 'off'}): {cause}"
        ) from None


def pinned_roots(settings: Settings) -> list[str]:
    """The roots signed documents must chain to (PEM), if any are pinned: those of the file
    LEGISFLOW_SIGNATURE_ROOTS_FILE names (an error if unusable), else, in a dev or demo data
    dir, the demo CA's root. Cases started without roots do not check signatures."""
    from signatures.certificates import pem
    from signatures.trust import NoTrustedRoots, load_roots

    path = settings.signature_roots_path
    if settings.signature_roots_file is None and not path.exists():
        return []
    try:
        return [pem(root).decode() for root in load_roots(path)]
    except NoTrustedRoots as exc:
        raise ConnectError(f"LEGISFLOW_SIGNATURE_ROOTS_FILE: {exc}") from None


class RetryRefusedQueries(client.Interceptor):
    """Client side: a query the guard refused is asked again (50 ms, doubling to 1 s) until
    the case's next workflow task has rebuilt it, for up to ``QUERY_PATIENCE_SECONDS``."""

    def intercept_client(self, next: client.OutboundInterceptor) -> client.OutboundInterceptor:
        return _RetryingOutbound(next)


class _RetryingOutbound(client.OutboundInterceptor):
    async def query_workflow(self, input: client.QueryWorkflowInput) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + QUERY_PATIENCE_SECONDS
        pause = 0.05
        while True:
            try:
                return await super().query_workflow(input)
            except client.WorkflowQueryFailedError as err:
                if STALE_CLOCK_REFUSAL not in str(err) or loop.time() + pause > deadline:
                    raise
            await asyncio.sleep(pause)
            pause = min(2 * pause, 1.0)
