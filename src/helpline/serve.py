"""``helpline serve``: build the server, start it, serve HTTP until interrupted, stop cleanly."""

from __future__ import annotations

import logging
from pathlib import Path

import uvicorn
import uvloop
from rich.console import Console
from rich.logging import RichHandler

from helpline.app import DEMO_CONFIG, DEMO_FLOWS, EXAMPLES, build, start_voice, store_flow_folder
from helpline.features.config.problems import ConfigError
from helpline.features.flows.models import FlowValidationError
from helpline.runtime.gc_tuning import settle_after_start
from helpline.settings import Settings, load_settings

DEMO_SIP = EXAMPLES / "sip.yaml"


def run(settings: Settings, *, config_file: Path | None, demo: bool, demo_rate: float = 12.0) -> int:
    """Run until interrupted; returns the process exit code (2 for a refused configuration)."""
    console = Console(stderr=True)
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(message)s", handlers=[RichHandler(console=console)]
    )
    if demo and config_file is None and settings.config_file is None:
        if not DEMO_CONFIG.is_file():
            console.print(f"[red]the demo configuration is missing:[/] {DEMO_CONFIG}")
            return 2
        config_file = DEMO_CONFIG
    try:
        return uvloop.run(_serve(settings, config_file=config_file, demo=demo, demo_rate=demo_rate, console=console))
    except ConfigError as exc:
        console.print(f"[red]configuration refused[/] (nothing was started or stored): {exc}")
        return 2
    except FlowValidationError as exc:
        console.print("[red]flows refused[/] (nothing was started):")
        console.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        return 2
    except KeyboardInterrupt:
        return 0


async def _serve(
    settings: Settings, *, config_file: Path | None, demo: bool, demo_rate: float, console: Console
) -> int:
    if demo and not settings.sip.dids and DEMO_SIP.is_file():
        demo_sip = load_settings(DEMO_SIP).sip
        keep = {k: getattr(settings.sip, k) for k in ("host", "port", "rtp_port_min", "rtp_port_max", "enabled")}
        settings = settings.model_copy(update={"sip": demo_sip.model_copy(update=keep)})
    helpline = await build(settings, config_file=config_file)
    await helpline.start()
    traffic = []
    tracking = None
    constants = None
    if demo:
        from helpline.demo.tracking_service import TrackingService
        from helpline.demo.traffic import SyntheticTraffic, TrafficProfile

        # The package-tracking service the demo IVR flow asks; the stored flows point at it.
        tracking = TrackingService(port=0)
        await tracking.start()
        constants = {"tracking_url": tracking.url}
        try:
            names = await store_flow_folder(helpline, DEMO_FLOWS)
        except BaseException:
            await tracking.stop()
            await helpline.stop()
            raise
        console.print(f"demo flows {', '.join(names)} stored; parcel tracking service at {tracking.url}")

        for tenant, partition in helpline.partitions.items():
            synthetic = SyntheticTraffic(
                partition,
                helpline.configs[tenant],
                helpline.commands,
                helpline.clock,
                profile=TrafficProfile(calls_per_minute=demo_rate),
                console=Console(log_path=False),
            )
            await synthetic.start()
            traffic.append(synthetic)
    if settings.sip.enabled:
        try:
            await start_voice(helpline, constants=constants)
        except FlowValidationError:
            await helpline.stop()
            raise
        except OSError as exc:
            await helpline.stop()
            console.print(f"[red]SIP could not listen on {settings.sip.host}:{settings.sip.port}:[/] {exc}")
            return 2
        numbers = ", ".join(f"{n} ({d.flow})" for n, d in sorted(settings.sip.dids.items())) or "no numbers"
        console.print(f"SIP on {settings.sip.host}:{settings.sip.port} (UDP and TCP): {numbers}")
    settle_after_start()  # start-up's objects live for good; keep the collector's passes rare and short
    server = uvicorn.Server(
        uvicorn.Config(
            helpline.http,
            host=settings.http.host,
            port=settings.http.port,
            log_level="warning",
            lifespan="off",
        )
    )
    console.print(
        f"Helpline serving {', '.join(helpline.partitions) or 'no tenants'} — "
        f"http://{settings.http.host}:{settings.http.port}/healthz and /metrics"
    )
    try:
        await server.serve()
    finally:
        for synthetic in traffic:
            await synthetic.stop()
        if tracking is not None:
            await tracking.stop()
        await helpline.stop()
    return 0 if not server.started or server.should_exit else 1
