"""The eight journeys of issue 3, run through the engine with a manual clock.

Each test asserts which tasks open in which lane and in which order, which events are raised with
which ``moment``, and which timers are pending with which due times. Day n means n days after the
koppeling (the instance starts on 2027-01-04 09:00 UTC).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from scenario_support import T0, Journey, amsterdam_midnight_utc, day

GEMEENTE, COA = "Gemeente", "COA"


def start(j: Journey) -> None:
    """Every journey starts the same way: profile shared, choice and optional contact open, four timers."""
    j.start()
    assert j.result.status == "active"
    assert j.open == {"scenario_kiezen": GEMEENTE, "contact_bijzonderheden": GEMEENTE}
    assert j.result.task("scenario_kiezen").candidate_groups == ("gemeente",)
    assert j.result.task("scenario_kiezen").due_at == day(14)
    assert j.timers == {
        "termijn_scenariokeuze": day(14),
        "termijn_bijzonderheden": day(14),
        "start_voorinburgering": day(14),
        "termijn_huisvesting": day(84),
    }
    assert j.waits == {"huisvesting_gevonden"}
    assert j.moments() == ["na-koppeling"]
    assert j.profile("na-koppeling") == {"moment": "na-koppeling"}


def choose(j: Journey, on_day: float, scenario: str, **extra: object) -> None:
    j.clock.set(day(on_day))
    j.complete("scenario_kiezen", scenario=scenario, **extra)
    (decided,) = j.of_type("scenario-vastgesteld")
    assert decided.data == {"scenario": scenario, "bijTermijn": False}
    assert j.result.variables["scenario"] == scenario
    assert "termijn_scenariokeuze" not in j.timers


def move(j: Journey, *, found_on: float, verhuisdatum: str, moved_on: float) -> None:
    """Housing is found, then the person moves; no driegesprek timer in these journeys."""
    j.clock.set(day(found_on))
    j.correlate("huisvesting_gevonden", verhuisdatum=verhuisdatum)
    assert "driegesprek_plannen" not in j.timers
    assert j.waits == {"verhuisd"}
    j.clock.set(day(moved_on))
    j.correlate("verhuisd", datum=verhuisdatum)


def accept_programme(j: Journey) -> None:
    assert j.open.get("aanbod_programma") == COA
    assert j.result.task("aanbod_programma").candidate_groups == ("coa",)
    j.complete("aanbod_programma", deelname="geaccepteerd")
    assert j.open.get("programma_volgen") == COA


# -- 1 --------------------------------------------------------------------------------------------
def test_1_scenario_1_on_day_3_never_offers_voorinburgering_and_holds_the_driegesprek_first(
    j: Journey,
) -> None:
    start(j)
    choose(j, 3, "1", afwijkendVanBeleid=True, toelichtingKeuze="azc ligt in de gemeente")
    assert j.moments() == ["na-koppeling", "voor-warme-overdracht"]
    assert j.profile("voor-warme-overdracht")["voorinburgeringGevolgd"] is False
    assert j.open == {"driegesprek": GEMEENTE, "contact_bijzonderheden": GEMEENTE}

    j.complete("driegesprek")
    assert set(j.open) == {"brede_intake", "contact_bijzonderheden"}
    j.complete("brede_intake", begeleidingNodig=True)
    j.complete("begeleiding_inzetten")
    j.complete("pip_opstellen", leerroute="onderwijs")
    j.complete("reguliere_inburgering_starten")
    assert j.open == {"contact_bijzonderheden": GEMEENTE}

    j.on_day(14)  # COA's start date passes: scenario 1, so nothing is offered
    assert "start_voorinburgering" in j.fired()
    assert j.open == {}
    assert j.timers == {"termijn_huisvesting": day(84)}

    move(j, found_on=50, verhuisdatum="2027-03-01", moved_on=56)
    assert j.result.status == "completed"
    assert j.of_type("proces-afgerond")

    assert j.opened_ids() == [
        "scenario_kiezen",
        "contact_bijzonderheden",
        "driegesprek",
        "brede_intake",
        "begeleiding_inzetten",
        "pip_opstellen",
        "reguliere_inburgering_starten",
    ]
    assert all(lane == GEMEENTE for _e, lane, _at in j.opened)
    # the regular track started before housing was even found
    started = next(at for e, _l, at in j.opened if e == "reguliere_inburgering_starten")
    assert started < day(50)
    assert "aanbod_programma" not in j.opened_ids()
    assert not {"voorinburgering", "aanbod_programma", "programma_volgen"} & j.active_seen
    assert j.moments() == ["na-koppeling", "voor-warme-overdracht", "bij-verhuizing"]
    assert j.profile("bij-verhuizing")["voorinburgering"] == "niet-aangeboden"


# -- 2 --------------------------------------------------------------------------------------------
def test_2_scenario_2_with_the_driegesprek_before_the_intake(j: Journey) -> None:
    start(j)
    choose(j, 5, "2", driegesprekMoment="voor-intake")
    assert j.open == {"afspraken_casemanager": GEMEENTE, "contact_bijzonderheden": GEMEENTE}
    j.complete("afspraken_casemanager")
    assert j.moments() == ["na-koppeling", "voor-warme-overdracht"]
    assert "driegesprek" in j.open
    j.complete("driegesprek")
    j.complete("brede_intake")
    assert j.result.task("pip_opstellen").due_at == day(5) + (day(70) - day(0))
    j.complete("pip_opstellen")

    j.on_day(14)
    accept_programme(j)
    assert j.opened_ids()[-2:] == ["aanbod_programma", "programma_volgen"]

    move(j, found_on=60, verhuisdatum="2027-03-20", moved_on=70)
    assert "programma_volgen" not in j.open  # interrupted by the housing
    assert j.open == {"reguliere_inburgering_starten": GEMEENTE}
    j.complete("reguliere_inburgering_starten")
    assert j.result.status == "completed"

    ids = j.opened_ids()
    assert ids.index("driegesprek") < ids.index("brede_intake") < ids.index("pip_opstellen")
    assert ids.index("pip_opstellen") < ids.index("aanbod_programma")  # PIP in the azc, before day 14
    assert j.moments() == ["na-koppeling", "voor-warme-overdracht", "bij-verhuizing"]
    assert j.profile("bij-verhuizing")["voorinburgering"] == "onderbroken"


def test_2b_scenario_2_with_the_driegesprek_two_weeks_before_the_move(j: Journey) -> None:
    start(j)
    choose(j, 4, "2", driegesprekMoment="voor-verhuizing")
    j.complete("afspraken_casemanager")
    assert "driegesprek" not in j.open
    assert set(j.open) == {"brede_intake", "contact_bijzonderheden"}
    j.complete("brede_intake")
    j.complete("pip_opstellen")

    j.on_day(14)
    accept_programme(j)
    j.clock.set(day(35))
    j.complete("programma_volgen")
    assert j.moments() == ["na-koppeling", "na-voorinburgering"]

    j.clock.set(day(42))
    j.correlate("huisvesting_gevonden", verhuisdatum="2027-03-15")
    due = amsterdam_midnight_utc("2027-03-01")  # two weeks before 15 March, midnight in Amsterdam
    assert j.timers["driegesprek_plannen"] == due
    assert j.waits == {"verhuisd"}
    assert "driegesprek" not in j.open

    j.at(due)
    assert "driegesprek_plannen" in j.fired()
    assert j.moments()[-1] == "voor-warme-overdracht"
    assert j.open == {"driegesprek": GEMEENTE}
    j.complete("driegesprek")
    j.clock.set(day(70))
    j.correlate("verhuisd")
    j.complete("reguliere_inburgering_starten")
    assert j.result.status == "completed"

    ids = j.opened_ids()
    assert ids.index("brede_intake") < ids.index("pip_opstellen") < ids.index("driegesprek")
    assert j.moments() == ["na-koppeling", "na-voorinburgering", "voor-warme-overdracht", "bij-verhuizing"]


# -- 3 --------------------------------------------------------------------------------------------
def test_3_no_answer_sets_scenario_3_on_day_14_and_offers_voorinburgering(j: Journey) -> None:
    start(j)
    j.on_day(13.9)
    assert "scenario_kiezen" in j.open and not j.of_type("scenario-vastgesteld")

    j.on_day(14)
    assert {"termijn_scenariokeuze", "start_voorinburgering", "termijn_bijzonderheden"} <= set(j.fired())
    (decided,) = j.of_type("scenario-vastgesteld")
    assert decided.data == {"scenario": "3", "bijTermijn": True}
    assert j.result.variables["scenario"] == "3"
    assert j.open == {"kennismaking_azc": GEMEENTE, "aanbod_programma": COA}
    assert j.timers == {"termijn_huisvesting": day(84)}

    j.complete("kennismaking_azc", kennismakingGewenst=True, kennismakingDatum="2027-01-25")
    accept_programme(j)
    j.clock.set(day(60))
    j.complete("programma_volgen")
    _finish_scenario_3(j, found_on=62, verhuisdatum="2027-03-22")
    assert j.moments() == ["na-koppeling", "na-voorinburgering", "voor-warme-overdracht", "bij-verhuizing"]


def _finish_scenario_3(j: Journey, *, found_on: float, verhuisdatum: str) -> None:
    """Housing, the driegesprek two weeks before the move, the move, then intake, PIP and the track."""
    j.clock.set(day(found_on))
    j.correlate("huisvesting_gevonden", verhuisdatum=verhuisdatum)
    due = amsterdam_midnight_utc(str(date.fromisoformat(verhuisdatum) - timedelta(weeks=2)))
    assert j.timers["driegesprek_plannen"] == due
    j.at(due)
    assert j.open == {"driegesprek": GEMEENTE}
    j.complete("driegesprek")
    assert "brede_intake" not in j.open  # scenario 3: only after the move
    j.clock.set(amsterdam_midnight_utc(verhuisdatum))
    j.correlate("verhuisd")
    assert j.open == {"brede_intake": GEMEENTE}
    j.complete("brede_intake")
    j.complete("pip_opstellen", leerroute="z")
    j.complete("reguliere_inburgering_starten")
    assert j.result.status == "completed"
    ids = j.opened_ids()
    assert ids.index("driegesprek") < ids.index("brede_intake") < ids.index("pip_opstellen")
    assert ids.index("pip_opstellen") < ids.index("reguliere_inburgering_starten")


# -- 4 --------------------------------------------------------------------------------------------
def test_4_scenario_3_chosen_explicitly(j: Journey) -> None:
    start(j)
    choose(j, 2, "3")
    assert j.open == {"kennismaking_azc": GEMEENTE, "contact_bijzonderheden": GEMEENTE}
    assert j.timers["start_voorinburgering"] == day(14)  # COA still starts two weeks after koppeling
    j.complete("contact_bijzonderheden")
    j.complete("kennismaking_azc")

    j.on_day(13)
    assert "aanbod_programma" not in j.open
    j.on_day(14)
    accept_programme(j)
    j.clock.set(day(50))
    j.complete("programma_volgen")
    j.clock.set(day(55))
    j.correlate("huisvesting_gevonden", verhuisdatum="2027-03-29")  # after the switch to summer time
    assert j.timers["driegesprek_plannen"] == datetime(2027, 3, 14, 23, 0, tzinfo=UTC)  # 15 March 00:00 CET
    j.at(j.timers["driegesprek_plannen"])
    j.complete("driegesprek")
    j.correlate("verhuisd")
    j.complete("brede_intake")
    j.complete("pip_opstellen")
    j.complete("reguliere_inburgering_starten")
    assert j.result.status == "completed"
    assert j.opened_ids()[:4] == [
        "scenario_kiezen",
        "contact_bijzonderheden",
        "kennismaking_azc",
        "aanbod_programma",
    ]
    assert j.lane_of("aanbod_programma") == COA


# -- 5 --------------------------------------------------------------------------------------------
def test_5_housing_during_voorinburgering_interrupts_it(j: Journey) -> None:
    start(j)
    choose(j, 6, "3")
    j.complete("kennismaking_azc")
    j.on_day(14)
    accept_programme(j)
    assert "voorinburgering" in j.result.active_elements

    j.clock.set(day(40))
    j.correlate("huisvesting_gevonden", verhuisdatum="2027-03-08")
    assert "programma_volgen" not in j.open
    assert "voorinburgering" not in j.result.active_elements
    assert j.result.variables["voorinburgeringStatus"] == "onderbroken"
    due = amsterdam_midnight_utc("2027-02-22")
    assert j.timers == {"driegesprek_plannen": due}
    assert "na-voorinburgering" not in j.moments()

    j.at(due)
    profile = j.profile("voor-warme-overdracht")
    assert profile["voorinburgering"] == "onderbroken"
    assert profile["voorinburgeringGevolgd"] is True
    j.complete("driegesprek")
    j.clock.set(day(63))
    j.correlate("verhuisd")
    assert j.profile("bij-verhuizing")["voorinburgering"] == "onderbroken"
    j.complete("brede_intake")
    j.complete("pip_opstellen")
    j.complete("reguliere_inburgering_starten")
    assert j.result.status == "completed"
    assert j.moments() == ["na-koppeling", "voor-warme-overdracht", "bij-verhuizing"]


# -- 6 --------------------------------------------------------------------------------------------
def test_6_voorinburgering_completed_before_housing_shares_the_profile_after_it(j: Journey) -> None:
    start(j)
    choose(j, 1, "2", driegesprekMoment="voor-intake")
    j.complete("afspraken_casemanager")
    j.complete("driegesprek")
    j.complete("brede_intake")
    j.complete("pip_opstellen")
    j.on_day(14)
    accept_programme(j)
    j.clock.set(day(45))
    j.complete("programma_volgen")
    profile = j.profile("na-voorinburgering")
    assert profile["voorinburgeringGevolgd"] is True
    assert profile["voorinburgering"] == "afgerond"
    assert j.moments() == ["na-koppeling", "voor-warme-overdracht", "na-voorinburgering"]
    assert j.waits == {"huisvesting_gevonden"}

    move(j, found_on=60, verhuisdatum="2027-03-19", moved_on=74)
    j.complete("reguliere_inburgering_starten")
    assert j.result.status == "completed"
    assert j.profile("bij-verhuizing")["voorinburgering"] == "afgerond"


# -- 7 --------------------------------------------------------------------------------------------
def test_7_no_housing_after_12_weeks_escalates_and_goes_on(j: Journey) -> None:
    start(j)
    choose(j, 3, "3")
    j.complete("kennismaking_azc")
    j.on_day(14)
    accept_programme(j)

    j.on_day(83.9)
    assert "huisvesting_escaleren" not in j.open
    j.on_day(84)
    assert "termijn_huisvesting" in j.fired()
    (late,) = j.of_type("huisvesting-termijn-verstreken")
    assert late.data == {"termijn": "P12W", "koppeldatum": "2027-01-04"}
    assert j.open["huisvesting_escaleren"] == COA
    escalation = j.result.task("huisvesting_escaleren")
    assert escalation.candidate_groups == ("coa",)
    assert escalation.due_at == day(89)
    assert j.waits == {"huisvesting_gevonden"}  # the process goes on waiting
    assert "termijn_huisvesting" not in j.timers
    assert "programma_volgen" in j.open  # nothing else was interrupted

    j.complete("huisvesting_escaleren")
    j.clock.set(day(100))
    j.complete("programma_volgen")
    _finish_scenario_3(j, found_on=101, verhuisdatum="2027-05-10")


# -- 8 --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("answer", ["geweigerd", "niet-mogelijk"])
def test_8_voorinburgering_declined_or_impossible_is_stated_in_the_transfer(j: Journey, answer: str) -> None:
    start(j)
    choose(j, 2, "3")
    j.complete("kennismaking_azc")
    j.on_day(14)
    reason = "Vergunninghouder werkt al fulltime" if answer == "geweigerd" else "Langdurig opgenomen"
    j.complete("aanbod_programma", deelname=answer, toelichtingVoorinburgering=reason)
    assert "programma_volgen" not in j.open
    profile = j.profile("na-voorinburgering")
    assert profile == {
        "moment": "na-voorinburgering",
        "voorinburgeringGevolgd": False,
        "voorinburgering": answer,
        "toelichting": reason,
    }
    _finish_scenario_3(j, found_on=40, verhuisdatum="2027-03-01")
    for moment in ("voor-warme-overdracht", "bij-verhuizing"):
        later = j.profile(moment)
        assert later["voorinburgeringGevolgd"] is False
        assert later["voorinburgering"] == answer
        assert later["toelichting"] == reason


# -- edges ----------------------------------------------------------------------------------------
def test_housing_before_the_programme_starts_means_no_offer(j: Journey) -> None:
    start(j)
    choose(j, 2, "3")
    j.complete("kennismaking_azc")
    j.clock.set(day(10))
    j.correlate("huisvesting_gevonden", verhuisdatum="2027-02-15")
    assert "start_voorinburgering" not in j.timers
    j.on_day(14)
    assert "aanbod_programma" not in j.open
    assert j.result.variables["voorinburgeringStatus"] == "niet-gestart"
    assert j.timers["driegesprek_plannen"] == amsterdam_midnight_utc("2027-02-01")
    j.at(amsterdam_midnight_utc("2027-02-01"))
    assert j.profile("voor-warme-overdracht")["voorinburgeringGevolgd"] is False
    j.complete("driegesprek")
    j.correlate("verhuisd")
    j.complete("brede_intake")
    j.complete("pip_opstellen")
    j.complete("reguliere_inburgering_starten")
    assert j.result.status == "completed"


def test_the_optional_contact_lapses_with_the_choice_deadline(j: Journey) -> None:
    start(j)
    choose(j, 1, "1")
    assert "contact_bijzonderheden" in j.open
    j.on_day(14)
    assert "termijn_bijzonderheden" in j.fired()
    assert "contact_bijzonderheden" not in j.open
    assert j.clock.now() > T0


@pytest.fixture
def j(journey: Journey) -> Journey:
    return journey
