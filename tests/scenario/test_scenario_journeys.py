"""Journeys through the shipped diagrams, run by the engine with a manual clock.

Each test asserts which tasks open in which lane and in which order, their due dates, which
klantprofiel moments are shared, and which timers are pending when. Day n means n days after the
koppeling: the koppeldatum is 2027-01-04 and the instance normally starts that day at 09:00 UTC.
Every term counts from the koppeldatum (midnight in Amsterdam), not from the instance's start.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from scenario_support import Journey, amsterdam_midnight_utc, day

from engine.clock import LOCAL_ZONE

GEMEENTE, COA = "Gemeente", "COA"
KOPPELDATUM = date(2027, 1, 4)


def term(days: int) -> datetime:
    """Midnight in Amsterdam, ``days`` after the koppeldatum: when a term counted from it falls due."""
    return amsterdam_midnight_utc(str(KOPPELDATUM + timedelta(days=days)))


def weeks_after(moment: datetime, weeks: int) -> datetime:
    """``weeks`` after ``moment`` on the Amsterdam calendar (``dateTime().plusWeeks(n)``)."""
    local = moment.astimezone(LOCAL_ZONE).replace(tzinfo=None) + timedelta(weeks=weeks)
    return local.replace(tzinfo=LOCAL_ZONE).astimezone(UTC)


def two_weeks_before(verhuisdatum: str) -> datetime:
    return amsterdam_midnight_utc(str(date.fromisoformat(verhuisdatum) - timedelta(weeks=2)))


def start(j: Journey) -> None:
    """Every journey starts the same way: profile shared, choice and optional contact open, two terms."""
    j.start()
    assert j.result.status == "active"
    assert j.open == {"scenario_kiezen": GEMEENTE, "contact_bijzonderheden": GEMEENTE}
    assert j.result.task("scenario_kiezen").candidate_groups == ("gemeente",)
    assert j.result.task("scenario_kiezen").due_at == term(14)
    assert j.timers == {"termijn_scenariokeuze": term(14), "termijn_huisvesting": term(84)}
    assert j.waits == {"huisvesting_gevonden", "verhuisd"}  # a move is accepted from the start
    assert j.profile("na-koppeling") == {"moment": "na-koppeling"}


def choose(j: Journey, on_day: float, scenario: str, **extra: object) -> None:
    j.clock.set(day(on_day))
    j.complete("scenario_kiezen", scenario=scenario, **extra)
    (decided,) = j.of_type("scenario-vastgesteld")
    assert decided.data == {"scenario": scenario, "bijTermijn": False}
    assert j.result.variables["scenario"] == scenario
    assert "termijn_scenariokeuze" not in j.timers
    assert "contact_bijzonderheden" not in j.open  # the optional contact ends with the choice


def accept_programme(j: Journey) -> None:
    assert j.open.get("aanbod_programma") == COA
    assert j.result.task("aanbod_programma").candidate_groups == ("coa",)
    j.complete("aanbod_programma", deelname="geaccepteerd")
    assert j.open.get("programma_volgen") == COA


def woning_gevonden(j: Journey, on_day: float, verhuisdatum: str) -> None:
    j.clock.set(day(on_day))
    j.correlate("huisvesting_gevonden", verhuisdatum=verhuisdatum)


def plan_overdracht(j: Journey, verhuisdatum: str) -> None:
    """The gemeente and its COA counterpart plan the driegesprek, due two weeks before the move."""
    due = two_weeks_before(verhuisdatum)
    assert j.open["overdracht_plannen"] == GEMEENTE
    assert j.open["overdracht_plannen_coa"] == COA
    assert j.result.task("overdracht_plannen").due_at == due
    assert j.result.task("overdracht_plannen_coa").due_at == due
    assert "driegesprek" not in j.open
    j.complete(
        "overdracht_plannen",
        geplandeDatumDriegesprek=str(date.fromisoformat(verhuisdatum) - timedelta(days=15)),
    )
    j.complete("overdracht_plannen_coa", vergunninghouderGeinformeerd=True, klantprofielBijgewerkt=True)
    assert j.timers["driegesprek_plannen"] == due


def driegesprek_voor_verhuizing(j: Journey, verhuisdatum: str) -> None:
    due = two_weeks_before(verhuisdatum)
    j.at(due)
    assert "driegesprek_plannen" in j.fired()
    assert j.moments()[-1] == "voor-warme-overdracht"
    assert j.open["driegesprek"] == GEMEENTE
    assert j.result.task("driegesprek").due_at == amsterdam_midnight_utc(verhuisdatum)
    j.complete("driegesprek")


def verhuisd(j: Journey, verhuisdatum: str) -> None:
    j.clock.set(amsterdam_midnight_utc(verhuisdatum) + timedelta(hours=10))
    j.correlate("verhuisd", datum=verhuisdatum)


def finish_scenario_3(j: Journey, verhuisdatum: str) -> None:
    """After the move: brede intake and PIP open at once, then the regular track."""
    assert set(j.open) == {"brede_intake"}
    assert j.lane_of("brede_intake") == GEMEENTE
    assert j.result.task("brede_intake").candidate_groups == ("gemeente",)
    j.complete("brede_intake")
    assert j.open == {"pip_opstellen": GEMEENTE}
    assert j.result.task("pip_opstellen").due_at == weeks_after(j.clock.now(), 10)
    j.complete("pip_opstellen", leerroute="z")
    assert j.open == {"reguliere_inburgering_starten": GEMEENTE}
    j.complete("reguliere_inburgering_starten")
    assert j.result.status == "completed"
    ids = j.opened_ids()
    assert ids.index("driegesprek") < ids.index("brede_intake") < ids.index("pip_opstellen")
    assert ids.index("pip_opstellen") < ids.index("reguliere_inburgering_starten")


# -- 1 --------------------------------------------------------------------------------------------
def test_1_scenario_1_on_day_3_never_offers_voorinburgering_and_holds_the_driegesprek_first(
    j: Journey,
) -> None:
    start(j)
    choose(j, 3, "1", afwijkendVanBeleid=True, toelichtingKeuze="azc ligt in de gemeente")
    assert j.moments() == ["na-koppeling", "voor-warme-overdracht"]
    assert j.open == {"driegesprek": GEMEENTE}
    j.complete("driegesprek")
    assert set(j.open) == {"brede_intake"}
    j.complete("brede_intake", begeleidingNodig=True)
    j.complete("begeleiding_inzetten")
    j.complete("pip_opstellen", leerroute="onderwijs")
    j.complete("reguliere_inburgering_starten")
    assert j.open == {}
    assert j.waits == {"huisvesting_gevonden", "verhuisd"}

    j.on_day(14)
    assert j.open == {} and "start_voorinburgering" not in j.fired()
    woning_gevonden(j, 50, "2027-03-01")
    assert j.open == {}  # the warme overdracht was at the start: nothing to plan
    verhuisd(j, "2027-03-01")
    assert j.result.status == "completed"
    assert j.of_type("proces-afgerond")
    assert j.opened_ids() == [
        "contact_bijzonderheden",
        "scenario_kiezen",
        "driegesprek",
        "brede_intake",
        "begeleiding_inzetten",
        "pip_opstellen",
        "reguliere_inburgering_starten",
    ] or j.opened_ids()[2:] == [
        "driegesprek",
        "brede_intake",
        "begeleiding_inzetten",
        "pip_opstellen",
        "reguliere_inburgering_starten",
    ]
    assert all(lane == GEMEENTE for _e, lane, _at in j.opened)
    started = next(at for e, _l, at in j.opened if e == "reguliere_inburgering_starten")
    assert started < day(50)  # the regular track started before a woning was even found
    assert not {"voorinburgering", "aanbod_programma", "programma_volgen"} & j.active_seen
    assert j.moments() == ["na-koppeling", "voor-warme-overdracht", "bij-verhuizing"]
    assert j.profile("bij-verhuizing")["voorinburgering"] == "niet-aangeboden"


# -- 2 --------------------------------------------------------------------------------------------
def test_2_scenario_2_with_the_driegesprek_agreed_before_the_intake(j: Journey) -> None:
    start(j)
    choose(j, 5, "2")
    assert j.open == {"afspraken_casemanager": GEMEENTE}
    j.complete("afspraken_casemanager", driegesprekMoment="voor-intake")
    assert j.moments() == ["na-koppeling", "voor-warme-overdracht"]
    assert set(j.open) == {"driegesprek"}
    j.complete("driegesprek")
    j.complete("brede_intake")
    j.complete("pip_opstellen")

    j.on_day(14)
    assert "start_voorinburgering" in j.fired()
    accept_programme(j)
    woning_gevonden(j, 60, "2027-03-20")
    assert "overdracht_plannen" not in j.open  # the driegesprek was before the intake
    assert "programma_volgen" in j.open  # a woning found does not stop the programme
    verhuisd(j, "2027-03-20")
    assert "programma_volgen" not in j.open  # the move does
    assert j.open == {"reguliere_inburgering_starten": GEMEENTE}
    j.complete("reguliere_inburgering_starten")
    assert j.result.status == "completed"

    ids = j.opened_ids()
    assert ids.index("afspraken_casemanager") < ids.index("driegesprek") < ids.index("brede_intake")
    assert ids.index("pip_opstellen") < ids.index("aanbod_programma")
    assert j.moments() == ["na-koppeling", "voor-warme-overdracht", "na-voorinburgering", "bij-verhuizing"]
    assert j.profile("na-voorinburgering")["voorinburgering"] == "onderbroken"
    assert j.profile("bij-verhuizing")["voorinburgering"] == "onderbroken"


def test_2b_scenario_2_with_the_driegesprek_two_weeks_before_the_move(j: Journey) -> None:
    start(j)
    choose(j, 4, "2")
    j.complete("afspraken_casemanager", driegesprekMoment="voor-verhuizing")
    assert set(j.open) == {"brede_intake"}
    j.complete("brede_intake")
    j.complete("pip_opstellen")
    j.on_day(14)
    accept_programme(j)
    j.clock.set(day(35))
    j.complete("programma_volgen")
    assert j.profile("na-voorinburgering")["voorinburgering"] == "afgerond"

    woning_gevonden(j, 42, "2027-03-15")
    plan_overdracht(j, "2027-03-15")
    assert j.timers["driegesprek_plannen"] == amsterdam_midnight_utc("2027-03-01")
    driegesprek_voor_verhuizing(j, "2027-03-15")
    verhuisd(j, "2027-03-15")
    j.complete("reguliere_inburgering_starten")
    assert j.result.status == "completed"
    ids = j.opened_ids()
    assert ids.index("brede_intake") < ids.index("pip_opstellen") < ids.index("driegesprek")
    assert j.moments() == ["na-koppeling", "na-voorinburgering", "voor-warme-overdracht", "bij-verhuizing"]


PROGRAMME_RESULTS = {
    "voorinburgeringStatus": "afgerond",
    "nt2Gevolgd": True,
    "knmAfgerond": True,
    "mapAfgerond": True,
    "pvtAfgerond": False,
    "taalniveauNaProgramma": "a2",
}


def test_2c_the_programme_s_results_reach_the_intake_and_pip_while_scenario_2_runs(j: Journey) -> None:
    """Scenario 2 runs beside the programme: the intake and PIP forms, opened before the programme
    ended, show its results as soon as the COA records them (one set of variables per instance)."""
    start(j)
    choose(j, 4, "2")
    j.complete("afspraken_casemanager", driegesprekMoment="voor-verhuizing")
    assert set(j.open) == {"brede_intake"}
    intake_form_shows(j, "brede_intake", voorinburgeringStatus="niet-aangeboden")
    j.on_day(14)
    accept_programme(j)  # the programme is a called instance: its variables come back when it ends
    intake_form_shows(j, "brede_intake", voorinburgeringStatus="niet-aangeboden")
    called = {c["processKey"]: c for c in j.runtime.called_instances(j.result.state)}
    assert set(called) == {"scenario_2", "voorbereiding_inburgering"}
    assert called["voorbereiding_inburgering"]["variables"]["voorinburgeringStatus"] == "aangeboden"
    j.clock.set(day(35))
    j.complete("programma_volgen")
    assert set(j.open) == {"brede_intake"}  # opened on day 4, before the programme began
    intake_form_shows(j, "brede_intake", **PROGRAMME_RESULTS)
    j.complete("brede_intake")
    intake_form_shows(j, "pip_opstellen", **PROGRAMME_RESULTS)
    j.complete("pip_opstellen")
    # scenario 2 ends: what it received at its start does not overwrite the programme's results
    assert {k: j.result.variables.get(k) for k in PROGRAMME_RESULTS} == PROGRAMME_RESULTS
    woning_gevonden(j, 42, "2027-03-15")
    plan_overdracht(j, "2027-03-15")
    driegesprek_voor_verhuizing(j, "2027-03-15")
    verhuisd(j, "2027-03-15")
    assert j.profile("bij-verhuizing")["voorinburgering"] == "afgerond"
    j.complete("reguliere_inburgering_starten")
    assert j.result.status == "completed"
    assert {k: j.result.variables.get(k) for k in PROGRAMME_RESULTS} == PROGRAMME_RESULTS


# -- 3 --------------------------------------------------------------------------------------------
def test_3_scenario_3_by_silence_reaches_intake_and_pip_without_any_optional_task(j: Journey) -> None:
    start(j)
    j.at(term(14) - timedelta(minutes=1))
    assert "scenario_kiezen" in j.open and not j.of_type("scenario-vastgesteld")
    j.on_day(14)
    assert {"termijn_scenariokeuze", "start_voorinburgering"} <= set(j.fired())
    (decided,) = j.of_type("scenario-vastgesteld")
    assert decided.data == {"scenario": "3", "bijTermijn": True}
    assert j.open == {"kennismaking_azc": GEMEENTE, "scenario_wijzigen": GEMEENTE, "aanbod_programma": COA}
    assert j.timers == {"termijn_huisvesting": term(84)}

    accept_programme(j)
    woning_gevonden(j, 62, "2027-03-22")
    plan_overdracht(j, "2027-03-22")
    driegesprek_voor_verhuizing(j, "2027-03-22")
    assert {"kennismaking_azc", "scenario_wijzigen"} <= set(j.open)  # optional, open, holding nothing
    verhuisd(j, "2027-03-22")
    assert "kennismaking_azc" not in j.open and "scenario_wijzigen" not in j.open
    finish_scenario_3(j, "2027-03-22")
    assert not {"kennismaking_azc", "scenario_wijzigen", "contact_bijzonderheden"} & set(j.completed)
    assert j.moments() == ["na-koppeling", "voor-warme-overdracht", "na-voorinburgering", "bij-verhuizing"]


# -- 4 --------------------------------------------------------------------------------------------
def test_4_scenario_3_chosen_explicitly_and_a_move_after_the_switch_to_summer_time(j: Journey) -> None:
    start(j)
    choose(j, 2, "3")
    assert j.open == {"kennismaking_azc": GEMEENTE, "scenario_wijzigen": GEMEENTE}
    assert j.timers["start_voorinburgering"] == term(14)  # COA still starts two weeks after the koppeldatum
    j.complete("kennismaking_azc", kennismakingDatum="2027-01-12")
    j.at(term(14) - timedelta(minutes=1))
    assert "aanbod_programma" not in j.open
    j.on_day(14)
    accept_programme(j)
    j.clock.set(day(50))
    j.complete("programma_volgen")
    woning_gevonden(j, 55, "2027-03-29")
    assert j.result.task("overdracht_plannen").due_at == datetime(2027, 3, 14, 23, 0, tzinfo=UTC)
    plan_overdracht(j, "2027-03-29")
    driegesprek_voor_verhuizing(j, "2027-03-29")
    verhuisd(j, "2027-03-29")
    results = {
        "voorinburgeringStatus": "afgerond",
        "nt2Gevolgd": True,
        "knmAfgerond": True,
        "mapAfgerond": True,
        "pvtAfgerond": False,
        "taalniveauNaProgramma": "a2",
    }
    intake_form_shows(j, "brede_intake", **results)  # the programme's results reach the intake
    finish_scenario_3(j, "2027-03-29")
    assert j.lane_of("aanbod_programma") == COA


# -- 5 --------------------------------------------------------------------------------------------
def test_5_housing_journey_has_no_day_without_programme_or_regular_track(j: Journey) -> None:
    start(j)
    choose(j, 6, "3")
    j.on_day(14)
    accept_programme(j)
    woning_gevonden(j, 40, "2027-03-08")
    plan_overdracht(j, "2027-03-08")
    for n in range(14, 63):  # every day from the programme's start to the day before the move
        j.on_day(n)
        if "driegesprek" in j.open:
            j.complete("driegesprek")
        assert "voorinburgering" in j.result.active_elements, f"no programme on day {n}"
        assert "programma_volgen" in j.open
    verhuisd(j, "2027-03-08")  # day 63
    assert "voorinburgering" not in j.result.active_elements
    assert j.open == {"brede_intake": GEMEENTE}  # the regular track starts the same day
    assert j.profile("na-voorinburgering")["voorinburgering"] == "onderbroken"
    assert j.profile("bij-verhuizing")["voorinburgeringGevolgd"] is True
    finish_scenario_3(j, "2027-03-08")
    assert j.moments() == ["na-koppeling", "voor-warme-overdracht", "na-voorinburgering", "bij-verhuizing"]


# -- 6 --------------------------------------------------------------------------------------------
def test_6_voorinburgering_completed_before_housing_shares_the_profile_after_it(j: Journey) -> None:
    start(j)
    choose(j, 1, "2")
    j.complete("afspraken_casemanager", driegesprekMoment="voor-intake")
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
    assert j.waits == {"huisvesting_gevonden", "verhuisd"}
    woning_gevonden(j, 60, "2027-03-19")
    verhuisd(j, "2027-03-19")
    j.complete("reguliere_inburgering_starten")
    assert j.result.status == "completed"
    assert j.profile("bij-verhuizing")["voorinburgering"] == "afgerond"


# -- 7 --------------------------------------------------------------------------------------------
def test_7_no_woning_after_12_weeks_asks_the_gemeente_for_a_plan_and_goes_on(j: Journey) -> None:
    start(j)
    choose(j, 3, "3")
    j.on_day(14)
    accept_programme(j)
    j.at(term(84) - timedelta(minutes=1))
    assert "huisvesting_escaleren" not in j.open
    j.on_day(84)
    assert "termijn_huisvesting" in j.fired()
    (late,) = j.of_type("huisvesting-termijn-verstreken")
    assert late.data == {"termijn": "P12W", "koppeldatum": "2027-01-04"}
    assert j.open["huisvesting_escaleren"] == GEMEENTE  # housing is the gemeente's work
    escalation = j.result.task("huisvesting_escaleren")
    assert escalation.candidate_groups == ("gemeente",)
    assert escalation.due_at == day(84) + timedelta(days=5)
    assert "huisvesting_gevonden" in j.waits
    assert "programma_volgen" in j.open
    j.complete("huisvesting_escaleren")
    j.clock.set(day(100))
    j.complete("programma_volgen")
    woning_gevonden(j, 101, "2027-05-10")
    plan_overdracht(j, "2027-05-10")
    driegesprek_voor_verhuizing(j, "2027-05-10")
    verhuisd(j, "2027-05-10")
    finish_scenario_3(j, "2027-05-10")


# -- 8 --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("answer", ["geweigerd", "niet-mogelijk"])
def test_8_voorinburgering_declined_or_impossible_is_stated_in_the_transfer(j: Journey, answer: str) -> None:
    start(j)
    choose(j, 2, "3")
    j.on_day(14)
    reason = "Vergunninghouder werkt al fulltime" if answer == "geweigerd" else "Langdurig opgenomen"
    j.complete("aanbod_programma", deelname=answer, toelichtingVoorinburgering=reason)
    assert "programma_volgen" not in j.open
    assert "na-voorinburgering" not in j.moments()  # not the end of a programme that was followed
    woning_gevonden(j, 40, "2027-03-01")
    plan_overdracht(j, "2027-03-01")
    driegesprek_voor_verhuizing(j, "2027-03-01")
    verhuisd(j, "2027-03-01")
    transfer = j.profile("bij-verhuizing")
    assert transfer["voorinburgeringGevolgd"] is False
    assert transfer["voorinburgering"] == answer
    assert transfer["toelichting"] == reason
    finish_scenario_3(j, "2027-03-01")


# -- new journeys ---------------------------------------------------------------------------------
def test_a_case_started_10_days_late_keeps_its_terms_from_the_koppeldatum(j: Journey) -> None:
    j.clock.set(day(10))
    start(j)
    assert j.result.task("scenario_kiezen").due_at == term(14)
    assert j.timers["termijn_scenariokeuze"] == term(14)
    j.at(term(14) - timedelta(minutes=1))
    assert "scenario_kiezen" in j.open
    j.at(term(14))
    (decided,) = j.of_type("scenario-vastgesteld")
    assert decided.data == {"scenario": "3", "bijTermijn": True}
    assert j.open["aanbod_programma"] == COA


def test_a_case_entered_after_its_terms_passed_has_them_due_at_once(j: Journey) -> None:
    j.clock.set(day(20))
    j.start()
    j.on_day(20)  # the worker's next sweep
    (decided,) = j.of_type("scenario-vastgesteld")
    assert decided.data == {"scenario": "3", "bijTermijn": True}
    assert j.open["aanbod_programma"] == COA
    assert j.timers["termijn_huisvesting"] == term(84)


def test_a_late_switch_from_scenario_3_to_2_interrupts_voorinburgering(j: Journey) -> None:
    start(j)
    j.on_day(14)
    accept_programme(j)
    j.clock.set(day(20))
    j.complete("scenario_wijzigen", nieuwScenario="2", afspraakMetAzc="Intake in het azc afgesproken")
    decided = [e.data for e in j.of_type("scenario-vastgesteld")]
    assert decided == [{"scenario": "3", "bijTermijn": True}, {"scenario": "2", "bijTermijn": False}]
    assert "programma_volgen" not in j.open
    assert j.open == {"afspraken_casemanager": GEMEENTE}
    j.complete("afspraken_casemanager", driegesprekMoment="voor-verhuizing")
    assert j.timers["start_voorinburgering"] < j.clock.now()  # already passed: due at once, for the worker
    j.on_day(20)
    assert j.open == {"brede_intake": GEMEENTE, "aanbod_programma": COA}  # scenario 2 offers it again
    j.complete("brede_intake")
    j.complete("pip_opstellen")
    accept_programme(j)
    woning_gevonden(j, 40, "2027-03-08")
    plan_overdracht(j, "2027-03-08")
    driegesprek_voor_verhuizing(j, "2027-03-08")
    verhuisd(j, "2027-03-08")
    assert j.open == {"reguliere_inburgering_starten": GEMEENTE}
    j.complete("reguliere_inburgering_starten")
    assert j.result.status == "completed"
    assert j.opened_ids().count("brede_intake") == 1
    ids = j.opened_ids()
    assert ids.index("scenario_wijzigen") < ids.index("afspraken_casemanager") < ids.index("brede_intake")
    assert {e: lane for e, lane, _at in j.opened if e in ("aanbod_programma", "brede_intake")} == {
        "aanbod_programma": COA,
        "brede_intake": GEMEENTE,
    }
    assert j.moments() == ["na-koppeling", "voor-warme-overdracht", "na-voorinburgering", "bij-verhuizing"]
    assert j.profile("na-voorinburgering")["voorinburgering"] == "onderbroken"  # the move interrupted it


def test_a_woning_found_before_the_choice_is_planned_once_the_scenario_is_known(j: Journey) -> None:
    start(j)
    woning_gevonden(j, 5, "2027-03-01")
    assert set(j.open) == {"scenario_kiezen", "contact_bijzonderheden"}
    assert j.waits == {"verhuisd"}
    choose(j, 8, "3")
    assert j.open["overdracht_plannen"] == GEMEENTE
    plan_overdracht(j, "2027-03-01")
    j.on_day(14)
    accept_programme(j)
    driegesprek_voor_verhuizing(j, "2027-03-01")
    verhuisd(j, "2027-03-01")
    finish_scenario_3(j, "2027-03-01")
    assert j.lane_of("overdracht_plannen_coa") == COA
    ids = j.opened_ids()
    assert ids.index("scenario_kiezen") < ids.index("overdracht_plannen") < ids.index("aanbod_programma")
    assert j.moments() == ["na-koppeling", "voor-warme-overdracht", "na-voorinburgering", "bij-verhuizing"]


# -- the move, whenever it comes ------------------------------------------------------------------
def intake_form_shows(j: Journey, element_id: str, **values: object) -> None:
    """The programme's results are read-only fields on the form, with the values the COA recorded."""
    form = {f.id: f for f in j.result.task(element_id).form}
    for name, value in values.items():
        assert form[name].readonly, f"{element_id}.{name} is not read-only"
        assert j.result.variables.get(name) == value, name


def test_a_move_before_the_choice_ends_the_choice_and_starts_scenario_3_after_the_move(j: Journey) -> None:
    start(j)
    woning_gevonden(j, 3, "2027-01-14")  # a woning ready at once: the move on day 10
    verhuisd(j, "2027-01-14")
    (decided,) = j.of_type("scenario-vastgesteld")
    assert decided.data == {"scenario": "3", "bijTermijn": False}
    assert j.result.variables["scenario"] == "3"
    assert j.result.variables["toelichtingKeuze"].startswith("Verhuisd vóór de scenariokeuze")
    assert not {"scenario_kiezen", "contact_bijzonderheden"} & set(j.open)  # nothing left to choose
    assert not {"termijn_scenariokeuze", "start_voorinburgering", "termijn_huisvesting"} & set(j.timers)
    # the regular track in the gemeente starts at once; the warme overdracht is still the gemeente's to plan
    assert j.open == {
        "brede_intake": GEMEENTE,
        "overdracht_plannen": GEMEENTE,
        "overdracht_plannen_coa": COA,
    }
    assert j.result.task("overdracht_plannen").due_at == two_weeks_before("2027-01-14")  # already late
    assert j.moments() == ["na-koppeling", "bij-verhuizing"]
    transfer = j.profile("bij-verhuizing")
    assert transfer["voorinburgering"] == "niet-gestart"
    assert transfer["voorinburgeringGevolgd"] is False
    assert "vóór de scenariokeuze" in transfer["toelichting"]
    intake_form_shows(j, "brede_intake", voorinburgeringStatus="niet-gestart")
    j.on_day(30)
    assert "aanbod_programma" not in j.open  # no voorinburgering for someone who left the azc
    j.complete("overdracht_plannen", geplandeDatumDriegesprek="2027-02-05")
    j.complete("overdracht_plannen_coa", vergunninghouderGeinformeerd=True, klantprofielBijgewerkt=True)
    assert j.timers["driegesprek_plannen"] < j.clock.now()  # its moment has passed: due at once
    j.on_day(30)  # the worker's next sweep
    assert j.open["driegesprek"] == GEMEENTE
    j.complete("driegesprek")
    j.complete("brede_intake")
    j.complete("pip_opstellen")
    j.complete("reguliere_inburgering_starten")
    assert j.result.status == "completed"
    assert not {"voorinburgering", "aanbod_programma", "afspraken_casemanager"} & j.active_seen
    assert j.moments() == ["na-koppeling", "bij-verhuizing", "voor-warme-overdracht"]


def test_a_move_before_the_choice_without_a_woning_message_still_completes(j: Journey) -> None:
    start(j)
    verhuisd(j, "2027-01-10")
    assert j.open == {"brede_intake": GEMEENTE}
    assert j.waits == {"huisvesting_gevonden"}  # TVS may still report the woning
    j.complete("brede_intake")
    j.complete("pip_opstellen")
    j.complete("reguliere_inburgering_starten")
    assert j.result.status == "completed"
    assert j.timers == {} and j.waits == set()  # the housing term lapses with the doorlopende lijn
    assert "huisvesting_escaleren" not in j.opened_ids()


@pytest.mark.parametrize(
    "case",
    [
        "1: na de keuze",
        "2: tijdens de afspraken",
        "2: voor de start van het programma",
        "3: voor de start van het programma",
        "3: tijdens het aanbod",
        "3: tijdens het programma",
        "3: na het programma",
    ],
)
def test_a_move_is_accepted_at_every_moment_before_it(j: Journey, case: str) -> None:
    scenario, moment = case.split(": ")
    start(j)
    choose(j, 2, scenario)
    if scenario == "2" and moment != "tijdens de afspraken":
        j.complete("afspraken_casemanager", driegesprekMoment="voor-verhuizing")
    if moment in ("tijdens het aanbod", "tijdens het programma", "na het programma"):
        j.on_day(14)
        assert j.open["aanbod_programma"] == COA
    if moment in ("tijdens het programma", "na het programma"):
        accept_programme(j)
    if moment == "na het programma":
        j.complete("programma_volgen")
    assert "verhuisd" in j.waits
    verhuisd(j, "2027-01-12" if moment in ("na de keuze", "tijdens de afspraken") else "2027-01-25")
    assert j.moments().count("bij-verhuizing") == 1
    assert not {"aanbod_programma", "programma_volgen", "kennismaking_azc", "scenario_wijzigen"} & set(j.open)
    assert "verhuisd" not in j.waits  # one move, one wait
    expected = {
        "tijdens de afspraken": "niet-gestart",
        "voor de start van het programma": "niet-gestart",
        "tijdens het aanbod": "onderbroken",
        "tijdens het programma": "onderbroken",
        "na het programma": "afgerond",
    }.get(moment, "niet-aangeboden")
    assert j.profile("bij-verhuizing")["voorinburgering"] == expected
    assert [e.data["scenario"] for e in j.of_type("scenario-vastgesteld")] == [scenario]


def test_the_programme_interrupted_by_the_move_reaches_the_brede_intake(j: Journey) -> None:
    start(j)
    choose(j, 4, "3")
    j.on_day(14)
    accept_programme(j)
    assert j.result.task("programma_volgen").lane == COA
    verhuisd(j, "2027-03-01")  # day 56
    assert "programma_volgen" not in j.open
    interrupted = j.profile("na-voorinburgering")
    assert interrupted["voorinburgering"] == "onderbroken"
    assert interrupted["voorinburgeringGevolgd"] is True
    assert "verhuisd" in interrupted["toelichting"]
    assert j.moments() == ["na-koppeling", "na-voorinburgering", "bij-verhuizing"]
    assert j.open == {"brede_intake": GEMEENTE}
    intake_form_shows(j, "brede_intake", voorinburgeringStatus="onderbroken")
    j.complete("brede_intake")
    intake_form_shows(j, "pip_opstellen", voorinburgeringStatus="onderbroken")
    j.complete("pip_opstellen")
    j.complete("reguliere_inburgering_starten")
    assert j.result.status == "completed"


def test_voorinburgering_refused_in_scenario_2_is_stated_at_the_move(j: Journey) -> None:
    start(j)
    choose(j, 3, "2")
    j.complete("afspraken_casemanager", driegesprekMoment="voor-intake")
    j.complete("driegesprek")
    j.on_day(14)
    assert set(j.open) == {"brede_intake", "aanbod_programma"}
    assert j.lane_of("aanbod_programma") == COA
    j.complete("aanbod_programma", deelname="geweigerd", toelichtingVoorinburgering="Werkt al fulltime")
    assert "programma_volgen" not in j.open
    assert "na-voorinburgering" not in j.moments()  # no programme was followed, so none ended
    j.complete("brede_intake")
    j.complete("pip_opstellen")
    woning_gevonden(j, 50, "2027-03-15")
    assert "overdracht_plannen" not in j.open  # the driegesprek was before the intake
    verhuisd(j, "2027-03-15")
    transfer = j.profile("bij-verhuizing")
    assert (transfer["voorinburgering"], transfer["voorinburgeringGevolgd"]) == ("geweigerd", False)
    assert transfer["toelichting"] == "Werkt al fulltime"
    assert j.open == {"reguliere_inburgering_starten": GEMEENTE}
    j.complete("reguliere_inburgering_starten")
    assert j.result.status == "completed"
    assert j.moments() == ["na-koppeling", "voor-warme-overdracht", "bij-verhuizing"]


def test_scenario_1_with_a_woning_found_before_the_choice(j: Journey) -> None:
    start(j)
    woning_gevonden(j, 2, "2027-02-22")
    choose(j, 4, "1")
    assert j.open == {"driegesprek": GEMEENTE}  # the warme overdracht at the start, nothing else to plan
    assert j.moments() == ["na-koppeling", "voor-warme-overdracht"]
    j.complete("driegesprek")
    j.complete("brede_intake", begeleidingNodig=False)
    assert j.open == {"pip_opstellen": GEMEENTE}
    assert j.result.task("pip_opstellen").due_at == weeks_after(j.clock.now(), 10)
    j.complete("pip_opstellen")
    j.complete("reguliere_inburgering_starten")
    assert j.open == {} and j.waits == {"verhuisd"}
    j.on_day(20)
    assert "aanbod_programma" not in j.open and "start_voorinburgering" not in j.fired()
    verhuisd(j, "2027-02-22")
    assert j.result.status == "completed"
    assert not {"overdracht_plannen", "overdracht_plannen_coa", "begeleiding_inzetten"} & set(j.opened_ids())
    assert all(lane == GEMEENTE for _e, lane, _at in j.opened)
    assert j.moments() == ["na-koppeling", "voor-warme-overdracht", "bij-verhuizing"]
    assert j.profile("bij-verhuizing")["voorinburgering"] == "niet-aangeboden"


def test_a_switch_to_scenario_2_then_the_programme_then_the_move(j: Journey) -> None:
    start(j)
    j.on_day(14)
    accept_programme(j)
    j.clock.set(day(18))
    j.complete("scenario_wijzigen", nieuwScenario="2", afspraakMetAzc="Intake in het azc")
    j.complete("afspraken_casemanager", driegesprekMoment="voor-verhuizing")
    j.on_day(18)
    accept_programme(j)
    j.complete("brede_intake")
    j.complete("pip_opstellen")
    j.clock.set(day(40))
    j.complete("programma_volgen")
    assert j.profile("na-voorinburgering")["voorinburgering"] == "afgerond"
    woning_gevonden(j, 45, "2027-03-01")
    plan_overdracht(j, "2027-03-01")
    driegesprek_voor_verhuizing(j, "2027-03-01")
    verhuisd(j, "2027-03-01")
    # the move is a move, not another switch
    assert [e.data for e in j.of_type("scenario-vastgesteld")] == [
        {"scenario": "3", "bijTermijn": True},
        {"scenario": "2", "bijTermijn": False},
    ]
    assert j.open == {"reguliere_inburgering_starten": GEMEENTE}
    assert j.profile("bij-verhuizing")["voorinburgering"] == "afgerond"
    j.complete("reguliere_inburgering_starten")
    assert j.result.status == "completed"
    assert j.opened_ids().count("afspraken_casemanager") == 1


@pytest.fixture
def j(journey: Journey) -> Journey:
    return journey
