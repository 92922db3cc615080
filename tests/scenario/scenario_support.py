"""Helpers for the scenario tests: a Journey drives one instance and logs what happened."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from engine.clock import LOCAL_ZONE

ROOT = Path(__file__).resolve().parents[2]
BPMN_DIR = ROOT / "bpmn"
T0 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)

# Valid form data per user task, as a caseworker would submit it.
FORMS: dict[str, dict[str, Any]] = {
    "contact_bijzonderheden": {
        "bijzonderheden": "Medische bijzonderheden besproken",
        "relevantVoorScenario": True,
    },
    "kennismaking_azc": {"kennismakingDatum": "2027-01-20"},
    "afspraken_casemanager": {
        "afsprakenIntakePip": "Intake op locatie, casemanager schuift aan",
        "driegesprekMoment": "voor-intake",
    },
    "driegesprek": {
        "driegesprekDatum": "2027-02-01",
        "deelnemers": "vergunninghouder, casemanager COA, klantmanager gemeente",
        "afsprakenOverdracht": "Klantprofiel doorgenomen",
    },
    "brede_intake": {
        "intakeDatum": "2027-02-03",
        "leerbaarheid": "Goed leerbaar",
        "opleidingWerkervaring": "Hbo, vijf jaar werkervaring als boekhouder",
        "taalniveau": "a1",
    },
    "begeleiding_inzetten": {"begeleidingVorm": "Taalmaatje en werkfit-traject"},
    "pip_opstellen": {
        "pipDatum": "2027-02-10",
        "leerroute": "b1",
        "begeleiding": "Klantmanager, maandelijks gesprek",
    },
    "reguliere_inburgering_starten": {"startdatumTraject": "2027-02-15"},
    "aanbod_programma": {"deelname": "geaccepteerd"},
    "programma_volgen": {
        "nt2Gevolgd": True,
        "knmAfgerond": True,
        "mapAfgerond": True,
        "pvtAfgerond": False,
        "taalniveauNaProgramma": "a2",
        "klantprofielUpdate": "Voortgang NT2, KNM en MAP bijgewerkt",
    },
    "huisvesting_escaleren": {
        "contactMetCoa": "2027-03-30",
        "oorzaakVertraging": "Geen passende woning beschikbaar",
        "vervolgafspraken": "Gemeente meldt binnen 4 weken een woning",
    },
}


@dataclass
class Journey:
    """One status holder's instance, with a log of every task opened and every event raised."""

    runtime: Any
    clock: Any
    result: Any = None
    opened: list[tuple[str, str | None, datetime]] = field(default_factory=list)
    events: list[Any] = field(default_factory=list)
    active_seen: set[str] = field(default_factory=set)
    completed: list[str] = field(default_factory=list)

    # -- steps --------------------------------------------------------------------------------
    def start(self) -> Any:
        result = self.runtime.start(
            "doorlopende_lijn",
            business_key="V0000001",
            variables={"gemeente": "GM0344", "azc": "AZC-ZST", "koppeldatum": "2027-01-04"},
        )
        return self._record(result)

    def complete(self, element_id: str, **overrides: Any) -> Any:
        task = self.result.task(element_id)
        data = {**FORMS.get(element_id, {}), **overrides}
        self.completed.append(element_id)
        return self._record(self.runtime.complete_task(self.result.state, task.id, data, actor="user:test"))

    def correlate(self, message: str, **variables: Any) -> Any:
        return self._record(self.runtime.correlate(self.result.state, message, variables))

    def on_day(self, n: float) -> Any:
        """Move the clock to ``n`` days after the koppeling and fire what is due."""
        target = day(n)
        if target > self.clock.now():
            self.clock.set(target)
        return self._record(self.runtime.fire_due_timers(self.result.state))

    def at(self, when: datetime) -> Any:
        if when > self.clock.now():
            self.clock.set(when)
        return self._record(self.runtime.fire_due_timers(self.result.state))

    def _record(self, result: Any) -> Any:
        self.result = result
        self.events.extend(result.events)
        for event in result.events:
            if event.type == "taak-aangemaakt":
                self.opened.append((event.element_id, event.data.get("lane"), self.clock.now()))
        self.active_seen.update(result.active_elements)
        return result

    # -- views --------------------------------------------------------------------------------
    @property
    def open(self) -> dict[str, str | None]:
        return {t.element_id: t.lane for t in self.result.open_tasks}

    @property
    def timers(self) -> dict[str, datetime]:
        return {t.element_id: t.due_at for t in self.result.timers}

    @property
    def waits(self) -> set[str]:
        return {w.message_name for w in self.result.message_waits}

    def opened_ids(self) -> list[str]:
        return [element for element, _lane, _at in self.opened]

    def lane_of(self, element_id: str) -> str | None:
        return next(lane for element, lane, _at in self.opened if element == element_id)

    def of_type(self, event_type: str) -> list[Any]:
        return [e for e in self.events if e.type == event_type]

    def moments(self) -> list[str]:
        return [e.data["moment"] for e in self.of_type("klantprofiel-gedeeld")]

    def profile(self, moment: str) -> dict[str, Any]:
        found = [e.data for e in self.of_type("klantprofiel-gedeeld") if e.data["moment"] == moment]
        assert len(found) == 1, f"klantprofiel {moment} shared {len(found)} times"
        return found[0]

    def fired(self) -> list[str]:
        return [e.data["elementId"] for e in self.of_type("termijn-verstreken")]


def day(n: float) -> datetime:
    """``n`` days after the koppeling: whole days on the Amsterdam calendar, as timers count them."""
    whole = int(n)
    local = T0.astimezone(LOCAL_ZONE).replace(tzinfo=None) + timedelta(days=whole)
    return local.replace(tzinfo=LOCAL_ZONE).astimezone(UTC) + timedelta(days=n - whole)


def amsterdam_midnight_utc(date_text: str) -> datetime:
    from zoneinfo import ZoneInfo

    local = datetime.fromisoformat(date_text).replace(tzinfo=ZoneInfo("Europe/Amsterdam"))
    return local.astimezone(UTC)
