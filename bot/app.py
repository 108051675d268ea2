"""The one place that wires the application: settings in, a running core out.

Every front (the Discord client today) takes an :class:`App` and uses its parts;
none of them builds a model client, a pacer, a store or a reply service of its own::

    async with await App.open(settings, scrubber=scrubber) as app:
        bot = RelayBot(app)
        ...
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Self

from bot.config import Settings
from bot.core.access import AccessPolicy, Lists
from bot.core.bus import ReplyBus
from bot.core.clock import Clock, SystemClock
from bot.core.guard import CostGuard, Limits
from bot.core.llm import LLM
from bot.core.models import ModelCatalog
from bot.core.pacing import LOCAL_PREFIX, LOCAL_RATE, Pacer, Rate
from bot.core.replies import ReplyService
from bot.core.reply_log import ReplyLog
from bot.core.request import Defaults, RequestBuilder
from bot.core.server_settings import ServerSettings
from bot.core.storage import Store, Target
from bot.discord_front.monitor import INTERACTION_PREFIX
from bot.logs import SecretScrubber
from bot.store.sqlite import SqliteStore


def _lists(settings: Settings) -> Lists:
    allow: dict[Target, frozenset[str]] = {}
    block: dict[Target, frozenset[str]] = {}
    for rule, target, ids in settings.access:
        (allow if rule == "allow" else block)[target] = frozenset(ids)  # type: ignore[index]
    return Lists(allow, block)


@dataclass
class App:
    """The core's parts, built once from the settings."""

    settings: Settings
    scrubber: SecretScrubber
    llm: LLM
    pacer: Pacer
    bus: ReplyBus
    replies: ReplyService
    models: ModelCatalog
    requests: RequestBuilder
    store: Store
    server_settings: ServerSettings
    access: AccessPolicy
    guard: CostGuard

    @classmethod
    async def open(
        cls,
        settings: Settings,
        *,
        scrubber: SecretScrubber | None = None,
        llm: LLM | None = None,
        clock: Clock | None = None,
    ) -> App:
        """Open the store and build every part; ``llm`` and ``clock`` may be replaced."""
        store = await SqliteStore.open(settings.data_dir)
        return cls.build(settings, store, scrubber=scrubber, llm=llm, clock=clock)

    @classmethod
    def build(
        cls,
        settings: Settings,
        store: Store,
        *,
        scrubber: SecretScrubber | None = None,
        llm: LLM | None = None,
        clock: Clock | None = None,
    ) -> App:
        """Build every part around an open ``store``."""
        scrubber = scrubber or SecretScrubber(settings.secrets())
        clock = clock or SystemClock()
        llm = llm or LLM.connect(
            api_key=settings.openai_api_key,
            base_url=settings.openai_base_url,
            timeout=settings.openai_timeout,
            scrub=scrubber.scrub,
        )
        pacer = Pacer(
            Rate(settings.channel_writes, settings.channel_window),
            by_prefix={
                INTERACTION_PREFIX: Rate(settings.interaction_writes, settings.interaction_window),
                LOCAL_PREFIX: LOCAL_RATE,
            },
            serial=True,
            clock=clock,
        )
        bus = ReplyBus()
        models = ModelCatalog(llm, default=settings.model, allow=settings.models, clock=clock)
        defaults = Defaults(
            settings.system_prompt,
            max_messages=settings.max_messages,
            max_input_tokens=settings.max_input_tokens,
            max_output_tokens=settings.max_output_tokens,
        )
        server_settings = ServerSettings(
            store,
            defaults={
                "model": settings.model,
                "system_prompt": settings.system_prompt,
                "temperature": None,
                "top_p": None,
                "max_output_tokens": settings.max_output_tokens,
            },
            models=models,
            max_output_tokens=settings.max_output_tokens,
        )
        limits = Limits(
            in_flight=settings.user_concurrency,
            requests=settings.user_requests,
            window=settings.user_window,
            user_daily_tokens=settings.user_daily_tokens,
            server_daily_tokens=settings.server_daily_tokens,
            max_output_tokens=settings.max_output_tokens,
        )
        return cls(
            settings=settings,
            scrubber=scrubber,
            llm=llm,
            pacer=pacer,
            bus=bus,
            replies=ReplyService(llm, pacer, bus, clock=clock),
            models=models,
            requests=RequestBuilder(defaults, models),
            store=store,
            server_settings=server_settings,
            access=AccessPolicy(store, _lists(settings), allow_dms=settings.allow_dms),
            guard=CostGuard(store, limits),
        )

    async def start(self) -> None:
        """Start the bus listeners (needs a running event loop)."""
        self.bus.listen(ReplyLog(log_content=self.settings.log_content), name="reply-log")
        self.bus.listen(self.guard.record, name="usage")
        self.models.refresh_if_stale()

    async def close(self) -> None:
        """Let the listeners drain, then close the model client and the store."""
        await self.models.close()
        await self.bus.close()
        await self.llm.close()
        await self.store.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
