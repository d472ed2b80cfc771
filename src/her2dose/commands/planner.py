"""Many plans on one book (a batch, and the check and next commands' batches): each
distinct part of a plan worked out once, with bounded memory."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from operator import attrgetter
from typing import Any

from her2dose.commands.plan import RESOLVE_FIELDS, parse_weight, plan_patient, resolve
from her2dose.data import clock
from her2dose.errors import Her2DoseError
from her2dose.model import RegimenBook
from her2dose.model.plan import Plan, PlanRequest


class Planner:
    """compute_plan for many requests on one book: each distinct resolve() (on the values
    of RESOLVE_FIELDS) and each distinct weight text worked out once. Plans are exactly
    compute_plan's, as they are made by the same two functions. `now` is fixed for the
    run, so that rows without prepared_at share one preparation time. `use_by_shown` as for
    compute_plan: False for the plans of commands that show no use-by times; `preparation`
    as for plan_patient."""

    def __init__(
        self,
        book: RegimenBook,
        max_entries: int = 4096,
        *,
        now: datetime | None = None,
        zone: tzinfo | None = None,
        use_by_shown: bool = True,
        preparation: bool = True,
    ) -> None:
        self.book = book
        self.use_by_shown = use_by_shown
        self.preparation = preparation
        self.zone = zone if zone is not None else clock.local_zone()
        self.now = now if now is not None else clock.now(self.zone)
        self._resolve_key = attrgetter(*RESOLVE_FIELDS)
        self._resolved = Memo(max_entries)
        self._weights = Memo(max_entries)

    def plan(self, request: PlanRequest) -> Plan:
        resolved = self._resolved.get(
            self._resolve_key(request), lambda: resolve(self.book, request)
        )
        weighed = self._weights.get(request.weight, lambda: parse_weight(request.weight, self.book))
        return plan_patient(
            self.book,
            resolved,
            request,
            now=self.now,
            zone=self.zone,
            weighed=weighed,
            use_by_shown=self.use_by_shown,
            preparation=self.preparation,
        )


class Memo:
    """A bounded memo that also remembers errors (a bad drug name in 10,000 rows is
    resolved once); the oldest entries go first, so memory stays flat in a long batch."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self.entries: dict[Any, Any] = {}

    def get(self, key: Any, compute: Callable[[], Any]) -> Any:
        try:
            hit = self.entries[key]
        except KeyError:
            try:
                hit = compute()
            except Her2DoseError as error:
                hit = error
            if len(self.entries) >= self.max_entries:
                del self.entries[next(iter(self.entries))]
            self.entries[key] = hit
        if isinstance(hit, Her2DoseError):
            raise hit.with_traceback(None)
        return hit
