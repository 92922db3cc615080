"""Generate the shipped diagrams in bpmn/ and the seed table in bpmn/README.md.

The committed .bpmn files are the product: a process designer edits them in Camunda Modeler. This
script is the engineers' convenience for keeping ids, documentation and layout consistent.

    python tools/build_diagrams.py                      # write bpmn/*.bpmn and the README table
    python tools/build_diagrams.py --check-seed NOTE    # also verify every quote against the note
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bpmn_layout import Annotation, Diagram, FormField, Node, form_xml, properties_xml  # noqa: E402
from seed_quotes import NOTE, QUOTES  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BPMN_DIR = ROOT / "bpmn"

# seed key -> [(file, element id)], for the README table
USES: dict[str, list[tuple[str, str]]] = defaultdict(list)

MSG_PROFIEL = "klantprofiel_gedeeld"
SIGNAL_HUISVESTING = "huisvesting_gemeld"


def doc(file: str, element: str, text: str, *keys: str) -> str:
    parts = [text]
    for key in keys:
        section, passage = QUOTES[key]
        parts.append(f'Bron ({section}): "{passage}"')
        USES[key].append((file, element))
    return "\n".join(parts)


class Builder:
    """Shorthands that add nodes with their documentation to one diagram."""

    def __init__(self, diagram: Diagram, file: str) -> None:
        self.d = diagram
        self.file = file

    def _node(self, tag: str, id: str, name: str, col: float, row: str, text: str, keys, **kw) -> Node:  # noqa: A002
        return self.d.add(Node(id, tag, name, "", col, row, doc(self.file, id, text, *keys), **kw))

    def start(self, id, name, col, row, text, *keys):  # noqa: A002
        return self._node("startEvent", id, name, col, row, text, keys)

    def end(self, id, name, col, row, text, *keys):  # noqa: A002
        return self._node("endEvent", id, name, col, row, text, keys)

    def user(self, id, name, col, row, text, keys, form, group, due=None):  # noqa: A002
        attrs = {"camunda:candidateGroups": group}
        if due:
            attrs["camunda:dueDate"] = due
        return self._node("userTask", id, name, col, row, text, keys, attrs=attrs, extensions=form_xml(form))

    def script(self, id, name, col, row, text, keys, assignments):  # noqa: A002
        body = ["<bpmn:script>" + _xml_text("\n".join(assignments)) + "</bpmn:script>"]
        return self._node(
            "scriptTask", id, name, col, row, text, keys, attrs={"scriptFormat": "python"}, body=body
        )

    def call(self, id, name, col, row, text, keys, called):  # noqa: A002
        ext = ['<camunda:in variables="all" />', '<camunda:out variables="all" />']
        return self._node(
            "callActivity", id, name, col, row, text, keys, attrs={"calledElement": called}, extensions=ext
        )

    def receive(self, id, name, col, row, text, keys, message):  # noqa: A002
        return self._node(
            "receiveTask", id, name, col, row, text, keys, attrs={"messageRef": self.d.message(message)}
        )

    def gateway(self, kind, id, name, col, row, text, *keys):  # noqa: A002
        return self._node(kind, id, name, col, row, text, keys)

    def throw_message(self, id, name, col, row, text, keys, message, props):  # noqa: A002
        body = [
            f'<bpmn:messageEventDefinition id="{self.d.def_id("MessageEventDefinition")}" '
            f'messageRef="{self.d.message(message)}" />'
        ]
        return self._node(
            "intermediateThrowEvent",
            id,
            name,
            col,
            row,
            text,
            keys,
            body=body,
            extensions=properties_xml(props),
        )

    def profiel(self, id, col, row, moment, label, text, keys, extra=()):  # noqa: A002
        props = [("moment", moment), *extra]
        return self.throw_message(
            id, f"Klantprofiel gedeeld ({label})", col, row, text, keys, MSG_PROFIEL, props
        )

    def signal_event(self, tag, id, name, col, row, text, keys, signal):  # noqa: A002
        body = [
            f'<bpmn:signalEventDefinition id="{self.d.def_id("SignalEventDefinition")}" '
            f'signalRef="{self.d.signal(signal)}" />'
        ]
        return self._node(tag, id, name, col, row, text, keys, body=body)

    def timer(
        self,
        tag,
        id,
        name,
        col,
        row,
        text,
        keys,
        kind,
        value,
        *,
        attached_to=None,  # noqa: A002
        interrupting=True,
        at=0.75,
    ):
        body = [
            f'<bpmn:timerEventDefinition id="{self.d.def_id("TimerEventDefinition")}">',
            f'  <bpmn:{kind} xsi:type="bpmn:tFormalExpression">{_xml_text(value)}</bpmn:{kind}>',
            "</bpmn:timerEventDefinition>",
        ]
        attrs = {}
        if attached_to:
            attrs = (
                {"attachedToRef": attached_to}
                if interrupting
                else {"cancelActivity": "false", "attachedToRef": attached_to}
            )
            return self._node(
                tag, id, name, at, "", text, keys, attrs=attrs, body=body, attached_to=attached_to
            )
        return self._node(tag, id, name, col, row, text, keys, attrs=attrs, body=body)

    def boundary_signal(self, id, name, host, text, keys, signal, at=0.75):  # noqa: A002
        body = [
            f'<bpmn:signalEventDefinition id="{self.d.def_id("SignalEventDefinition")}" '
            f'signalRef="{self.d.signal(signal)}" />'
        ]
        return self._node(
            "boundaryEvent",
            id,
            name,
            at,
            "",
            text,
            keys,
            attrs={"attachedToRef": host},
            body=body,
            attached_to=host,
        )


def _xml_text(text: str) -> str:
    from xml.sax.saxutils import escape

    return escape(text)


# ------------------------------------------------------------------------------------------------
# forms
# ------------------------------------------------------------------------------------------------
TAALNIVEAUS = [
    ("a0", "Geen of beginnend (A0)"),
    ("a1", "A1"),
    ("a2", "A2"),
    ("b1", "B1"),
    ("b2", "B2 of hoger"),
]


def F(id, label, type="string", required=False, default=None, options=(), constraints=()):  # noqa: A002,N802
    return FormField(id, label, type, required, default, list(options), list(constraints))


def text_field(id, label, required=False, maxlength="2000"):  # noqa: A002
    return F(id, label, "string", required, constraints=[("maxlength", maxlength)])


FORM_BIJZONDERHEDEN = [
    text_field("bijzonderheden", "Besproken bijzonderheden", required=True),
    text_field("contactpersoonCoa", "Contactpersoon COA", maxlength="200"),
    F("relevantVoorScenario", "Relevant voor de keuze van het scenario", "boolean", default="false"),
]

FORM_SCENARIO = [
    F(
        "scenario",
        "Scenario",
        "enum",
        required=True,
        options=[
            ("1", "Scenario 1: snelle start, al vóór huisvesting (geen voorinburgering)"),
            ("2", "Scenario 2: brede intake en PIP tijdens verblijf in het azc"),
            ("3", "Scenario 3: start na huisvesting (voorinburgering door het COA)"),
        ],
    ),
    F(
        "afwijkendVanBeleid",
        "Afwijkend van het algemene beleid van de gemeente (maatwerk voor deze persoon)",
        "boolean",
        default="false",
    ),
    F(
        "driegesprekMoment",
        "Moment van het driegesprek (alleen scenario 2)",
        "enum",
        default="voor-intake",
        options=[
            ("voor-intake", "Vóór de brede intake"),
            ("voor-verhuizing", "Ongeveer twee weken vóór de verhuizing"),
        ],
    ),
    text_field("toelichtingKeuze", "Toelichting op de keuze"),
]

FORM_KENNISMAKING = [
    F("kennismakingGewenst", "Kennismaking in het azc gewenst", "boolean", required=True),
    F("kennismakingDatum", "Datum kennismaking", "date"),
    text_field("afsprakenCasemanager", "Afspraken met de casemanager"),
]

FORM_DRIEGESPREK = [
    F("driegesprekDatum", "Datum driegesprek", "date", required=True),
    text_field(
        "deelnemers",
        "Deelnemers (vergunninghouder, casemanager COA, klantmanager gemeente)",
        required=True,
        maxlength="500",
    ),
    F("ingeplandViaCasemanager", "Ingepland via de casemanager van het COA", "boolean", default="true"),
    F("tolkAanwezig", "Tolk aanwezig", "boolean", default="false"),
    text_field("afsprakenOverdracht", "Afspraken warme overdracht"),
]

FORM_BREDE_INTAKE = [
    F("intakeDatum", "Datum brede intake", "date", required=True),
    text_field("leerbaarheid", "Leerbaarheid", required=True),
    text_field("opleidingWerkervaring", "Opleiding en werkervaring", required=True),
    text_field("gezondheid", "Gezondheid"),
    text_field("persoonlijkeOmstandigheden", "Persoonlijke omstandigheden"),
    F("taalniveau", "Taalniveau Nederlands", "enum", required=True, options=TAALNIVEAUS),
    text_field("kansenOpWerk", "Kansen op werk"),
    text_field("zelfredzaamheid", "Zelfredzaamheid"),
]

FORM_BEGELEIDING_VRAAG = [
    F("begeleidingNodig", "Eventuele begeleiding nu al inzetten", "boolean", required=True),
]

FORM_BEGELEIDING = [
    text_field("begeleidingVorm", "Vorm van de begeleiding", required=True),
    F("begeleidingStart", "Startdatum begeleiding", "date"),
]

FORM_PIP = [
    F("pipDatum", "Datum PIP (beschikking)", "date", required=True),
    F(
        "leerroute",
        "Leerroute",
        "enum",
        required=True,
        options=[("b1", "B1-route"), ("onderwijs", "Onderwijsroute"), ("z", "Z-route (zelfredzaamheid)")],
    ),
    text_field("begeleiding", "Begeleiding en ondersteuning door de gemeente", required=True),
    text_field("invullingPvt", "Invulling participatieverklaringstraject (PVT)"),
    text_field("invullingMap", "Invulling module arbeidsmarkt en participatie (MAP)"),
]

FORM_AFSPRAKEN_CASEMANAGER = [
    text_field("afsprakenIntakePip", "Afspraken over brede intake en PIP in het azc", required=True),
    text_field("contactpersoonCoa", "Casemanager COA", maxlength="200"),
]

FORM_REGULIER = [
    F("startdatumTraject", "Startdatum reguliere inburgering", "date", required=True),
    text_field(
        "aanbieder", "Aanbieder (taalschool, onderwijsinstelling of Z-route-aanbieder)", maxlength="300"
    ),
]

FORM_ESCALATIE = [
    F("contactMetGemeente", "Datum contact met de gemeente", "date", required=True),
    F("verwachteVerhuisdatum", "Verwachte verhuisdatum", "date"),
    text_field("oorzaakVertraging", "Oorzaak van de vertraging", required=True),
    text_field("vervolgafspraken", "Vervolgafspraken", required=True),
]

FORM_AANBOD = [
    F(
        "deelname",
        "Reactie op het aanbod voorinburgering",
        "enum",
        required=True,
        options=[
            ("geaccepteerd", "Aanbod geaccepteerd"),
            ("geweigerd", "Aanbod afgewezen door de vergunninghouder"),
            ("niet-mogelijk", "Deelnemen is niet mogelijk"),
        ],
    ),
    F("moduleNt2", "Nederlandse taal (NT2)", "boolean", default="true"),
    F("moduleKnm", "Kennis Nederlandse Maatschappij (KNM)", "boolean", default="true"),
    F("moduleMap", "Arbeidsmarkt en participatie (MAP)", "boolean", default="true"),
    F("modulePvt", "Participatieverklaringstraject (PVT)", "boolean", default="true"),
    text_field(
        "toelichtingVoorinburgering",
        "Toelichting (verplicht invullen als voorinburgering niet gevolgd kan worden)",
    ),
]

FORM_PROGRAMMA = [
    F("nt2Gevolgd", "NT2 gevolgd", "boolean", required=True),
    F("knmAfgerond", "KNM afgerond", "boolean", required=True),
    F("mapAfgerond", "MAP afgerond", "boolean", required=True),
    F("pvtAfgerond", "PVT afgerond", "boolean", required=True),
    F("taalniveauNaProgramma", "Taalniveau na het programma", "enum", options=TAALNIVEAUS),
    text_field("individueleBegeleiding", "Individuele begeleiding op integratie en participatie"),
    text_field(
        "klantprofielUpdate",
        "Bijwerking klantprofiel (opleiding, werkervaring, deelname, voortgang)",
        required=True,
    ),
]


# ------------------------------------------------------------------------------------------------
# main process
# ------------------------------------------------------------------------------------------------
def build_main() -> Diagram:
    file = "doorlopende_lijn.bpmn"
    d = Diagram(
        definitions_id="Definitions_doorlopende_lijn",
        process_id="doorlopende_lijn",
        process_name="Doorlopende lijn inburgering",
        participant_id="deelnemer_doorlopende_lijn",
        participant_doc=doc(
            file,
            "deelnemer_doorlopende_lijn",
            "Eén procesinstantie per vergunninghouder, vanaf de koppeling aan een gemeente "
            "tot de start van de reguliere inburgering in die gemeente.",
            "regie",
        ),
        process_doc="De doorlopende lijn van inburgering van COA-opvang naar gemeente (scenario 1, 2 en 3), "
        "volgens bijlage I van de notitie van 13 april 2021.",
        lanes=[
            (
                "lane_coa",
                "COA",
                [("h0", 120), ("h1", 120), ("v0", 130), ("v1", 120), ("v2", 90), ("v3", 50)],
                doc(
                    file,
                    "lane_coa",
                    "Het COA: opvang, casemanager, voorinburgering en het klantprofiel in TVS.",
                    "klantprofiel",
                ),
            ),
            (
                "lane_gemeente",
                "Gemeente",
                [("gt", 40), ("g0", 130), ("g1", 110), ("g2", 110), ("g3", 110), ("g4", 110), ("g5", 90)],
                doc(
                    file,
                    "lane_gemeente",
                    "De gemeente waaraan de vergunninghouder gekoppeld is (klantmanager).",
                    "regie",
                ),
            ),
        ],
    )
    b = Builder(d, file)

    # -- start (COA) --
    b.start(
        "koppeling_ontvangen",
        "Koppeling gemeld via TVS",
        0,
        "v0",
        "Het COA koppelt de vergunninghouder aan een gemeente; de gemeente krijgt een melding via TVS. "
        "Startvariabelen: gemeente (CBS-code), azc (locatiecode) en koppeldatum (JJJJ-MM-DD).",
        "koppeling",
    )
    b.profiel(
        "klantprofiel_na_koppeling",
        1,
        "v0",
        "na-koppeling",
        "na koppeling",
        "Het COA deelt het klantprofiel met de gemeente via TVS, met notificatie: eerste moment.",
        ["klantprofiel", "moment_koppeling"],
    )
    b.gateway(
        "parallelGateway",
        "splits_na_koppeling",
        "Na koppeling",
        2,
        "v0",
        "Vanaf de koppeling lopen vier sporen naast elkaar: de keuze van het scenario, het optionele "
        "contact over bijzonderheden, de start van de voorinburgering na 2 weken en de huisvesting "
        "binnen ongeveer 12 weken.",
        "regie",
        "huisvesting",
    )

    # -- housing (COA lane, top) --
    b.receive(
        "huisvesting_afwachten",
        "Huisvesting gevonden (melding via TVS)",
        3,
        "h0",
        "Wacht op het bericht huisvesting_gevonden met de variabele verhuisdatum (JJJJ-MM-DD). Het "
        "bericht kan op elk moment na de koppeling komen.",
        ["huisvesting", "gehuisvest"],
        "huisvesting_gevonden",
    )
    b.timer(
        "boundaryEvent",
        "termijn_huisvesting",
        "12 weken na koppeling",
        0,
        "",
        "Niet-onderbrekende termijn: 12 weken (P84D) na de koppeling is er nog geen huisvesting. De "
        "termijn opent een escalatietaak en meldt dit aan de gemeente; het wachten op huisvesting gaat "
        "door.",
        ["huisvesting"],
        "timeDuration",
        "P84D",
        attached_to="huisvesting_afwachten",
        interrupting=False,
        at=0.75,
    )
    b.throw_message(
        "huisvesting_termijn_gemeld",
        "Termijn huisvesting verstreken gemeld",
        4.2,
        "h1",
        "Meldt de gemeente (bericht huisvesting_termijn_verstreken) dat de termijn van ongeveer "
        "twaalf weken voor huisvesting verstreken is.",
        ["huisvesting"],
        "huisvesting_termijn_verstreken",
        [("termijn", "P12W"), ("koppeldatum", "${koppeldatum}")],
    )
    b.user(
        "huisvesting_escaleren",
        "Huisvesting te laat: afstemmen met gemeente",
        5.3,
        "h1",
        "De casemanager van het COA stemt met de gemeente af wanneer de vergunninghouder kan uitstromen "
        "en legt de vervolgafspraken vast.",
        ["huisvesting"],
        FORM_ESCALATIE,
        "coa",
        due="${dateTime().plusDays(5).toDate()}",
    )
    b.end(
        "escalatie_afgehandeld",
        "Escalatie afgehandeld",
        6.4,
        "h1",
        "De escalatie is afgehandeld; de instantie wacht verder op huisvesting.",
        "huisvesting",
    )
    b.signal_event(
        "intermediateThrowEvent",
        "huisvesting_gemeld",
        "Huisvesting gevonden: voorinburgering onderbreken",
        4.2,
        "h0",
        "Seint binnen deze instantie (signaal huisvesting_gemeld) dat de vergunninghouder gehuisvest "
        "kan worden; een lopende voorinburgering wordt daardoor onderbroken.",
        ["onderbreken", "voorrang"],
        SIGNAL_HUISVESTING,
    )

    # -- voorinburgering track (COA lane) --
    b.script(
        "aanbod_klaarzetten",
        "Aanbod voorinburgering inplannen",
        3,
        "v0",
        "Het COA plant het aanbod voorinburgering in op 2 weken na de koppeling.",
        ["start_twee_weken"],
        ["huisvestingVoorStart = False"],
    )
    b.gateway(
        "eventBasedGateway",
        "wacht_op_start",
        "Wachten op start",
        4,
        "v0",
        "Wat komt eerst: de start van het programma 2 weken na koppeling, of huisvesting?",
        "start_twee_weken",
        "onderbreken",
    )
    b.timer(
        "intermediateCatchEvent",
        "start_voorinburgering",
        "2 weken na koppeling",
        5,
        "v0",
        "Het COA start 2 weken (P14D) na de koppeling met de voorinburgering, tenzij scenario 1 geldt.",
        ["start_twee_weken", "geen_bericht"],
        "timeDuration",
        "P14D",
    )
    b.signal_event(
        "intermediateCatchEvent",
        "huisvesting_voor_start",
        "Huisvesting al gevonden",
        5,
        "v1",
        "Huisvesting is gevonden voordat het programma kon starten.",
        ["onderbreken"],
        SIGNAL_HUISVESTING,
    )
    b.script(
        "geen_start_na_huisvesting",
        "Geen start: al gehuisvest",
        6,
        "v1",
        "Het programma start niet meer; het COA vermeldt dit in de informatieoverdracht.",
        ["onderbreken", "niet_gevolgd"],
        [
            "huisvestingVoorStart = True",
            "voorinburgeringStatus = 'niet-gestart'",
            "voorinburgeringGevolgd = False",
            "toelichtingVoorinburgering = 'Huisvesting gevonden voordat de voorinburgering kon starten.'",
        ],
    )
    b.gateway(
        "exclusiveGateway",
        "samenvoegen_start",
        "",
        7,
        "v0",
        "Samenvoegen van beide uitkomsten.",
        "start_twee_weken",
    )
    b.gateway(
        "parallelGateway",
        "samenkomst_keuze_en_start",
        "",
        8,
        "v0",
        "Het aanbod wacht tot het scenario bekend is (uiterlijk na 2 weken).",
        "coa_weten",
    )
    b.gateway(
        "exclusiveGateway",
        "programma_aanbieden",
        "Voorinburgering aanbieden?",
        9,
        "v0",
        "Het COA biedt voorinburgering aan, tenzij de gemeente scenario 1 volgt of de vergunninghouder "
        "al gehuisvest kan worden.",
        "tenzij",
        "aanbod_begeleiding",
    )
    b.call(
        "voorinburgering",
        "Voorinburgering (COA)",
        10,
        "v0",
        "Het programma voorinburgering van het COA (proces voorbereiding_inburgering): aanbod, NT2, KNM, "
        "MAP, PVT en individuele begeleiding; daarna deelt het COA het klantprofiel.",
        ["voorinburgering", "aanbod_begeleiding", "onderdelen"],
        "voorbereiding_inburgering",
    )
    b.boundary_signal(
        "huisvesting_onderbreekt",
        "Huisvesting gevonden",
        "voorinburgering",
        "Zodra de vergunninghouder gehuisvest kan worden, wordt de voorinburgering onderbroken.",
        ["onderbreken", "voorrang"],
        SIGNAL_HUISVESTING,
        at=0.75,
    )
    b.script(
        "programma_onderbroken",
        "Onderbreking vastleggen",
        11,
        "v1",
        "Het COA legt vast dat de voorinburgering is onderbroken omdat de inburgering in de gemeente "
        "voorrang heeft.",
        ["onderbreken", "voorrang"],
        [
            "voorinburgeringStatus = 'onderbroken'",
            "voorinburgeringGevolgd = True",
            "toelichtingVoorinburgering = 'Voorinburgering onderbroken: de vergunninghouder kan gehuisvest "
            "worden en de inburgering in de gemeente heeft voorrang.'",
        ],
    )
    b.script(
        "geen_aanbod_scenario_1",
        "Geen aanbod: scenario 1",
        10,
        "h1",
        "In scenario 1 maakt de vergunninghouder geen gebruik van voorinburgering.",
        ["scenario_1", "tenzij"],
        [
            "voorinburgeringStatus = 'niet-aangeboden'",
            "voorinburgeringGevolgd = False",
            "toelichtingVoorinburgering = 'Geen voorinburgering: de gemeente start zelf met het reguliere "
            "inburgeringstraject (scenario 1).'",
        ],
    )
    b.gateway(
        "exclusiveGateway",
        "samenvoegen_programma",
        "",
        12,
        "v0",
        "Einde van het programma, afgerond of onderbroken.",
        "onderbreken",
    )
    b.gateway(
        "exclusiveGateway", "samenvoegen_aanbod", "", 13, "v0", "Samenvoegen: met of zonder aanbod.", "tenzij"
    )
    b.gateway(
        "parallelGateway",
        "samenkomst_huisvesting",
        "",
        14,
        "v0",
        "Het vervolg na huisvesting wacht op de melding van huisvesting en op het einde van het "
        "voorinburgeringsspoor.",
        "gehuisvest",
    )

    # -- after housing --
    b.gateway(
        "parallelGateway",
        "splits_na_huisvesting",
        "Huisvesting gevonden",
        15,
        "v0",
        "Na huisvesting: de warme overdracht (indien nog nodig) en de verhuizing lopen naast elkaar.",
        "gehuisvest",
    )
    b.receive(
        "verhuizing_afwachten",
        "Verhuisd (melding via TVS)",
        16.5,
        "h1",
        "Wacht op het bericht verhuisd: de vergunninghouder is uitgestroomd naar de gemeente.",
        ["moment_verhuizing"],
        "verhuisd",
    )
    b.profiel(
        "klantprofiel_bij_verhuizing",
        18,
        "h1",
        "bij-verhuizing",
        "bij verhuizing",
        "Het COA actualiseert en deelt het klantprofiel op het moment van verhuizing, met de stand van "
        "de voorinburgering en de toelichting als die niet gevolgd kon worden.",
        ["klantprofiel", "moment_verhuizing", "niet_gevolgd"],
        extra=[
            ("voorinburgeringGevolgd", "${voorinburgeringGevolgd}"),
            ("voorinburgering", "${voorinburgeringStatus}"),
            ("toelichting", "${toelichtingVoorinburgering}"),
            ("scenario", "${scenario}"),
        ],
    )
    b.gateway(
        "exclusiveGateway",
        "warme_overdracht_nodig",
        "Driegesprek vóór uitstroom?",
        16,
        "v0",
        "Scenario 3, en scenario 2 als de gemeente koos voor een driegesprek vlak voor de verhuizing: "
        "het driegesprek vindt ongeveer twee weken voor de uitstroom plaats.",
        "driegesprek_3",
        "driegesprek_2",
    )
    b.timer(
        "intermediateCatchEvent",
        "driegesprek_plannen",
        "2 weken vóór verhuisdatum",
        17,
        "v1",
        "Twee weken voor de verhuisdatum (00:00 uur Nederlandse tijd). Ligt dat moment al in het verleden, "
        "dan gaat het proces direct verder.",
        ["driegesprek_3", "driegesprek_2"],
        "timeDate",
        "${dateTime(verhuisdatum).minusWeeks(2).toDate()}",
    )
    b.profiel(
        "klantprofiel_voor_warme_overdracht",
        18,
        "v1",
        "voor-warme-overdracht",
        "voor warme overdracht",
        "Het COA actualiseert en deelt het klantprofiel voorafgaand aan de warme overdracht.",
        ["klantprofiel", "moment_overdracht", "niet_gevolgd"],
        extra=[
            ("voorinburgeringGevolgd", "${voorinburgeringGevolgd}"),
            ("voorinburgering", "${voorinburgeringStatus}"),
            ("toelichting", "${toelichtingVoorinburgering}"),
            ("scenario", "${scenario}"),
        ],
    )
    b.user(
        "driegesprek",
        "Driegesprek (warme overdracht)",
        19,
        "g0",
        "De gemeente plant via de casemanager het driegesprek met vergunninghouder, casemanager en "
        "klantmanager, ongeveer twee weken voor de uitstroom.",
        ["warme_overdracht", "driegesprek_3"],
        FORM_DRIEGESPREK,
        "gemeente",
    )
    b.gateway(
        "exclusiveGateway",
        "samenvoegen_warme_overdracht",
        "",
        20,
        "v0",
        "Samenvoegen: met of zonder driegesprek vlak voor de uitstroom.",
        "warme_overdracht",
    )
    b.gateway(
        "parallelGateway",
        "samenkomst_verhuizing",
        "",
        21,
        "v0",
        "Warme overdracht en verhuizing zijn beide afgerond.",
        "gehuisvest",
    )
    b.gateway(
        "parallelGateway",
        "samenkomst_einde",
        "",
        22,
        "g0",
        "Het werk van de gemeente in het azc (per scenario) en de verhuizing zijn beide afgerond.",
        "gehuisvest",
    )
    b.gateway(
        "exclusiveGateway",
        "reguliere_start_nodig",
        "Reguliere inburgering al gestart?",
        23,
        "g0",
        "In scenario 1 is het reguliere traject al vóór huisvesting gestart; in scenario 2 start het na "
        "huisvesting; in scenario 3 volgen eerst brede intake en PIP.",
        "scenario_1",
        "gehuisvest",
    )
    b.call(
        "start_na_huisvesting",
        "Brede intake en PIP na huisvesting (scenario 3)",
        24,
        "g0",
        "Scenario 3: de gemeente neemt na huisvesting de brede intake af en stelt het PIP op.",
        ["scenario_3_intake", "scenario_3"],
        "scenario_3",
    )
    b.gateway(
        "exclusiveGateway",
        "samenvoegen_regulier",
        "",
        25,
        "g0",
        "Samenvoegen van scenario 2 en 3.",
        "gehuisvest",
    )
    b.user(
        "reguliere_inburgering_starten",
        "Reguliere inburgering starten",
        26,
        "g0",
        "Zodra de vergunninghouder gehuisvest is, start de inburgering in de gemeente.",
        ["gehuisvest", "scenario_2", "scenario_3"],
        FORM_REGULIER,
        "gemeente",
    )
    b.end(
        "reguliere_inburgering_gestart",
        "Reguliere inburgering gestart",
        27,
        "g0",
        "Het reguliere inburgeringstraject is in de gemeente gestart; de doorlopende lijn is rond.",
        "gehuisvest",
    )
    b.end(
        "doorlopende_lijn_afgerond",
        "Doorlopende lijn afgerond",
        24,
        "g1",
        "Scenario 1: het reguliere traject liep al; na de verhuizing is de doorlopende lijn rond.",
        "scenario_1",
    )

    # -- scenario choice (Gemeente lane) --
    b.user(
        "scenario_kiezen",
        "Scenario kiezen",
        3,
        "g0",
        "De gemeente laat binnen 2 weken na de melding weten of zij scenario 1 of 2 volgt; scenario 3 "
        "hoeft zij niet te melden. Een gemeente die in het algemeen scenario 3 volgt, kan voor deze "
        "persoon scenario 1 of 2 kiezen (veld afwijkendVanBeleid). Voor scenario 2 kiest de gemeente het "
        "moment van het driegesprek.",
        ["keuze", "geen_bericht", "afwijkend", "driegesprek_2"],
        FORM_SCENARIO,
        "gemeente",
        due="${dateTime().plusDays(14).toDate()}",
    )
    b.timer(
        "boundaryEvent",
        "termijn_scenariokeuze",
        "2 weken verstreken",
        0,
        "",
        "Geen bericht binnen 2 weken (P14D): scenario 3 geldt en het COA biedt voorinburgering aan.",
        ["geen_bericht"],
        "timeDuration",
        "P14D",
        attached_to="scenario_kiezen",
        at=0.75,
    )
    b.script(
        "scenario_3_bij_termijn",
        "Scenario 3 vastleggen (geen bericht)",
        4,
        "g1",
        "Zonder bericht van de gemeente geldt scenario 3.",
        ["geen_bericht"],
        [
            "scenario = '3'",
            "bijTermijn = True",
            "afwijkendVanBeleid = False",
            "driegesprekMoment = 'voor-verhuizing'",
        ],
    )
    b.script(
        "keuze_vastleggen",
        "Keuze vastleggen",
        4,
        "g0",
        "De gemeente heeft binnen de termijn gekozen.",
        ["keuze"],
        ["bijTermijn = False"],
    )
    b.gateway("exclusiveGateway", "samenvoegen_scenario", "", 5, "g0", "Het scenario is bekend.", "keuze")
    b.throw_message(
        "scenario_vastgesteld",
        "Scenario vastgesteld",
        6,
        "g0",
        "Het COA en de gemeente weten welk scenario geldt; bijTermijn is waar als scenario 3 "
        "is ingegaan omdat er binnen 2 weken geen bericht kwam.",
        ["keuze", "coa_weten"],
        "scenario_vastgesteld",
        [("scenario", "${scenario}"), ("bijTermijn", "${bijTermijn}")],
    )
    b.gateway(
        "parallelGateway",
        "splits_scenario",
        "",
        7,
        "g0",
        "Het werk van de gemeente per scenario begint meteen; het COA gebruikt het scenario voor het "
        "aanbod voorinburgering.",
        "coa_weten",
    )
    b.gateway(
        "exclusiveGateway",
        "kies_gemeentetraject",
        "Welk scenario?",
        8,
        "g2",
        "Het werk van de gemeente tijdens het verblijf in het azc hangt af van het scenario.",
        "scenario_1",
        "scenario_2",
        "scenario_3",
    )
    b.call(
        "scenario_1_snelle_start",
        "Scenario 1: snelle start",
        9.5,
        "g1",
        "Scenario 1: warme overdracht, brede intake, eventuele begeleiding, PIP en start van het reguliere "
        "traject, al vóór huisvesting.",
        ["scenario_1", "scenario_1_stappen"],
        "scenario_1",
    )
    b.call(
        "scenario_2_gecombineerd",
        "Scenario 2: brede intake en PIP in het azc",
        9.5,
        "g2",
        "Scenario 2: afspraken met de casemanager, eventueel het driegesprek, brede intake en PIP tijdens "
        "het verblijf in het azc.",
        ["scenario_2", "scenario_2_stappen"],
        "scenario_2",
    )
    b.user(
        "kennismaking_azc",
        "Kennismaking in het azc (optioneel)",
        9.5,
        "g3",
        "Scenario 3: de gemeente kan via de casemanager al in het azc kennismaken met de vergunninghouder; "
        "wie dat niet wil, geeft dat aan.",
        ["kennismaken", "scenario_3"],
        FORM_KENNISMAKING,
        "gemeente",
    )
    b.gateway(
        "exclusiveGateway",
        "samenvoegen_gemeentetraject",
        "",
        11,
        "g2",
        "Het werk van de gemeente in het azc is klaar.",
        "scenario_2",
    )

    # -- optional contact (Gemeente lane, bottom) --
    b.user(
        "contact_bijzonderheden",
        "Bijzonderheden bespreken met COA (optioneel)",
        3,
        "g4",
        "Eventueel bespreekt de gemeente met het COA of er bijzonderheden zijn die relevant zijn voor de "
        "keuze van het scenario. De taak vervalt vanzelf als de keuzetermijn voorbij is.",
        ["bijzonderheden"],
        FORM_BIJZONDERHEDEN,
        "gemeente",
    )
    b.timer(
        "boundaryEvent",
        "termijn_bijzonderheden",
        "Keuzetermijn voorbij",
        0,
        "",
        "Na 2 weken (P14D) vervalt de optionele taak.",
        ["bijzonderheden", "keuze"],
        "timeDuration",
        "P14D",
        attached_to="contact_bijzonderheden",
        at=0.75,
    )
    b.end(
        "bijzonderheden_besproken",
        "Bijzonderheden besproken",
        4.3,
        "g4",
        "Het contact over bijzonderheden heeft plaatsgevonden.",
        "bijzonderheden",
    )
    b.end(
        "bijzonderheden_vervallen",
        "Niet nodig geweest",
        4.3,
        "g5",
        "De gemeente heeft geen contact over bijzonderheden gezocht.",
        "bijzonderheden",
    )

    # -- flows --
    f = d.flow
    f("koppeling_ontvangen", "klantprofiel_na_koppeling")
    f("klantprofiel_na_koppeling", "splits_na_koppeling")
    f("splits_na_koppeling", "huisvesting_afwachten", exit="t")
    f("splits_na_koppeling", "aanbod_klaarzetten", exit="r")
    f("splits_na_koppeling", "scenario_kiezen", exit="b")
    f("splits_na_koppeling", "contact_bijzonderheden", exit="b")
    # housing
    f("huisvesting_afwachten", "huisvesting_gemeld")
    f("termijn_huisvesting", "huisvesting_termijn_gemeld")
    f("huisvesting_termijn_gemeld", "huisvesting_escaleren")
    f("huisvesting_escaleren", "escalatie_afgehandeld")
    f("huisvesting_gemeld", "samenkomst_huisvesting", exit="r", entry="t")
    # programme
    f("aanbod_klaarzetten", "wacht_op_start")
    f("wacht_op_start", "start_voorinburgering", exit="r")
    f("wacht_op_start", "huisvesting_voor_start", exit="b")
    f("start_voorinburgering", "samenvoegen_start")
    f("huisvesting_voor_start", "geen_start_na_huisvesting")
    f("geen_start_na_huisvesting", "samenvoegen_start", exit="r", entry="b")
    f("samenvoegen_start", "samenkomst_keuze_en_start")
    f("samenkomst_keuze_en_start", "programma_aanbieden")
    f("programma_aanbieden", "voorinburgering", name="Aanbieden", default=True, exit="r")
    f(
        "programma_aanbieden",
        "geen_aanbod_scenario_1",
        name="Scenario 1",
        condition="${scenario == '1'}",
        exit="t",
    )
    f(
        "programma_aanbieden",
        "samenvoegen_aanbod",
        name="Al gehuisvest",
        condition="${scenario != '1' and huisvestingVoorStart}",
        exit="b",
        entry="b",
        via_row="v3",
    )
    f("voorinburgering", "samenvoegen_programma")
    f("huisvesting_onderbreekt", "programma_onderbroken")
    f("programma_onderbroken", "samenvoegen_programma", exit="r", entry="b")
    f("geen_aanbod_scenario_1", "samenvoegen_aanbod", exit="r", entry="t")
    f("samenvoegen_programma", "samenvoegen_aanbod")
    f("samenvoegen_aanbod", "samenkomst_huisvesting")
    f("samenkomst_huisvesting", "splits_na_huisvesting")
    # after housing
    f("splits_na_huisvesting", "verhuizing_afwachten", exit="t")
    f("verhuizing_afwachten", "klantprofiel_bij_verhuizing")
    f("klantprofiel_bij_verhuizing", "samenkomst_verhuizing", exit="r", entry="t")
    f("splits_na_huisvesting", "warme_overdracht_nodig", exit="r")
    f(
        "warme_overdracht_nodig",
        "driegesprek_plannen",
        name="Ja",
        condition="${scenario == '3' or (scenario == '2' and driegesprekMoment == 'voor-verhuizing')}",
        exit="b",
    )
    f(
        "warme_overdracht_nodig",
        "samenvoegen_warme_overdracht",
        name="Nee (al gehouden of scenario 1)",
        default=True,
        exit="r",
    )
    f("driegesprek_plannen", "klantprofiel_voor_warme_overdracht")
    f("klantprofiel_voor_warme_overdracht", "driegesprek", mid_col=18.5)
    f("driegesprek", "samenvoegen_warme_overdracht", exit="r", entry="b")
    f("samenvoegen_warme_overdracht", "samenkomst_verhuizing")
    f("samenkomst_verhuizing", "samenkomst_einde", exit="r", entry="t")
    f("samenkomst_einde", "reguliere_start_nodig")
    f(
        "reguliere_start_nodig",
        "start_na_huisvesting",
        name="Scenario 3",
        condition="${scenario == '3'}",
        exit="r",
    )
    f(
        "reguliere_start_nodig",
        "samenvoegen_regulier",
        name="Scenario 2",
        condition="${scenario == '2'}",
        exit="t",
        entry="t",
        via_row="gt",
    )
    f(
        "reguliere_start_nodig",
        "doorlopende_lijn_afgerond",
        name="Scenario 1 (al gestart)",
        condition="${scenario == '1'}",
        exit="b",
    )
    f("start_na_huisvesting", "samenvoegen_regulier")
    f("samenvoegen_regulier", "reguliere_inburgering_starten")
    f("reguliere_inburgering_starten", "reguliere_inburgering_gestart")
    # choice
    f("scenario_kiezen", "keuze_vastleggen")
    f("termijn_scenariokeuze", "scenario_3_bij_termijn")
    f("keuze_vastleggen", "samenvoegen_scenario")
    f("scenario_3_bij_termijn", "samenvoegen_scenario", exit="r", entry="b")
    f("samenvoegen_scenario", "scenario_vastgesteld")
    f("scenario_vastgesteld", "splits_scenario")
    f("splits_scenario", "samenkomst_keuze_en_start", exit="r", entry="b")
    f("splits_scenario", "kies_gemeentetraject", exit="b")
    f("kies_gemeentetraject", "scenario_1_snelle_start", name="1", condition="${scenario == '1'}", exit="t")
    f("kies_gemeentetraject", "scenario_2_gecombineerd", name="2", condition="${scenario == '2'}", exit="r")
    f("kies_gemeentetraject", "kennismaking_azc", name="3", condition="${scenario == '3'}", exit="b")
    f("scenario_1_snelle_start", "samenvoegen_gemeentetraject", exit="r", entry="t")
    f("scenario_2_gecombineerd", "samenvoegen_gemeentetraject")
    f("kennismaking_azc", "samenvoegen_gemeentetraject", exit="r", entry="b")
    f("samenvoegen_gemeentetraject", "samenkomst_einde", exit="r", entry="b")
    # optional contact
    f("contact_bijzonderheden", "bijzonderheden_besproken")
    f("termijn_bijzonderheden", "bijzonderheden_vervallen")

    d.annotate(
        Annotation(
            "notitie_dagelijkse_begeleiding",
            "Dagelijkse begeleiding door het COA loopt door zolang de bewoner in het azc verblijft.",
            10.45,
            "v2",
            "voorinburgering",
        )
    )
    USES["coa_begeleidt"].append((file, "notitie_dagelijkse_begeleiding"))
    USES["aanbod_begeleiding"].append((file, "notitie_dagelijkse_begeleiding"))
    return d


# ------------------------------------------------------------------------------------------------
# scenario processes
# ------------------------------------------------------------------------------------------------
def _two_lanes(file: str) -> list:
    return [
        (
            "lane_coa",
            "COA",
            [("c0", 120)],
            doc(file, "lane_coa", "Het COA: casemanager en klantprofiel.", "klantprofiel"),
        ),
        (
            "lane_gemeente",
            "Gemeente",
            [("g0", 130), ("g1", 110)],
            doc(file, "lane_gemeente", "De gemeente (klantmanager).", "regie"),
        ),
    ]


def build_scenario_1() -> Diagram:
    file = "scenario_1.bpmn"
    d = Diagram(
        definitions_id="Definitions_scenario_1",
        process_id="scenario_1",
        process_name="Scenario 1: snelle start vóór huisvesting",
        participant_id="deelnemer_scenario_1",
        participant_doc=doc(file, "deelnemer_scenario_1", "Scenario 1.", "scenario_1"),
        process_doc="Scenario 1, aangeroepen vanuit doorlopende_lijn zodra de gemeente scenario 1 kiest.",
        lanes=_two_lanes(file),
    )
    b = Builder(d, file)
    b.start(
        "scenario_1_gestart",
        "Scenario 1 gekozen",
        0,
        "g0",
        "De gemeente heeft scenario 1 gekozen.",
        "scenario_1",
    )
    b.profiel(
        "klantprofiel_voor_warme_overdracht",
        1,
        "c0",
        "voor-warme-overdracht",
        "voor warme overdracht",
        "Het COA deelt het klantprofiel voorafgaand aan de warme overdracht. In scenario 1 volgt de "
        "vergunninghouder geen voorinburgering.",
        ["klantprofiel", "moment_overdracht", "scenario_1"],
        extra=[
            ("voorinburgeringGevolgd", "${false}"),
            ("voorinburgering", "niet-aangeboden"),
            (
                "toelichting",
                "Geen voorinburgering: de gemeente start zelf met het reguliere "
                "inburgeringstraject (scenario 1).",
            ),
            ("scenario", "1"),
        ],
    )
    b.user(
        "driegesprek",
        "Driegesprek (warme overdracht)",
        2,
        "g0",
        "In scenario 1 vindt het driegesprek aan het begin plaats, vóór de brede intake en de start van het "
        "reguliere traject. De gemeente plant het via de casemanager en maakt afspraken met het COA.",
        ["driegesprek_1", "warme_overdracht", "scenario_1_stappen"],
        FORM_DRIEGESPREK,
        "gemeente",
    )
    b.user(
        "brede_intake",
        "Brede intake afnemen",
        3,
        "g0",
        "De gemeente neemt de brede intake af: leerbaarheid, opleiding en werkervaring, gezondheid, "
        "persoonlijke omstandigheden, taalniveau, kansen op werk en zelfredzaamheid.",
        ["brede_intake", "scenario_1_stappen"],
        FORM_BREDE_INTAKE + FORM_BEGELEIDING_VRAAG,
        "gemeente",
    )
    b.gateway(
        "exclusiveGateway",
        "begeleiding_nodig",
        "Begeleiding nodig?",
        4,
        "g0",
        "Eventuele begeleiding, op basis van de brede intake.",
        "scenario_1_stappen",
    )
    b.user(
        "begeleiding_inzetten",
        "Begeleiding inzetten",
        5,
        "g1",
        "De gemeente zet eventuele begeleiding in vóór het PIP.",
        ["scenario_1_stappen"],
        FORM_BEGELEIDING,
        "gemeente",
    )
    b.gateway(
        "exclusiveGateway", "samenvoegen_begeleiding", "", 6, "g0", "Samenvoegen.", "scenario_1_stappen"
    )
    b.user(
        "pip_opstellen",
        "PIP opstellen",
        7,
        "g0",
        "De gemeente stelt op basis van de brede intake het PIP op: leerroute, begeleiding, PVT en MAP.",
        ["pip", "scenario_1_stappen"],
        FORM_PIP,
        "gemeente",
        due="${dateTime().plusWeeks(10).toDate()}",
    )
    b.user(
        "reguliere_inburgering_starten",
        "Reguliere inburgering starten",
        8,
        "g0",
        "De gemeente start het reguliere inburgeringstraject, al vóór de huisvesting.",
        ["scenario_1_stappen", "scenario_1"],
        FORM_REGULIER,
        "gemeente",
    )
    b.end(
        "reguliere_inburgering_gestart",
        "Reguliere inburgering gestart (vóór huisvesting)",
        9,
        "g0",
        "Het reguliere traject loopt; de verhuizing volgt in het hoofdproces.",
        "scenario_1",
    )
    f = d.flow
    f("scenario_1_gestart", "klantprofiel_voor_warme_overdracht", exit="r")
    f("klantprofiel_voor_warme_overdracht", "driegesprek")
    f("driegesprek", "brede_intake")
    f("brede_intake", "begeleiding_nodig")
    f("begeleiding_nodig", "begeleiding_inzetten", name="Ja", condition="${begeleidingNodig}", exit="b")
    f("begeleiding_nodig", "samenvoegen_begeleiding", name="Nee", default=True, exit="r")
    f("begeleiding_inzetten", "samenvoegen_begeleiding", exit="r", entry="b")
    f("samenvoegen_begeleiding", "pip_opstellen")
    f("pip_opstellen", "reguliere_inburgering_starten")
    f("reguliere_inburgering_starten", "reguliere_inburgering_gestart")
    return d


def build_scenario_2() -> Diagram:
    file = "scenario_2.bpmn"
    d = Diagram(
        definitions_id="Definitions_scenario_2",
        process_id="scenario_2",
        process_name="Scenario 2: brede intake en PIP in het azc",
        participant_id="deelnemer_scenario_2",
        participant_doc=doc(file, "deelnemer_scenario_2", "Scenario 2.", "scenario_2"),
        process_doc="Scenario 2, aangeroepen vanuit doorlopende_lijn zodra de gemeente scenario 2 kiest. "
        "Het aanbod voorinburgering en de verhuizing staan in het hoofdproces.",
        lanes=_two_lanes(file),
    )
    b = Builder(d, file)
    b.start(
        "scenario_2_gestart",
        "Scenario 2 gekozen",
        0,
        "g0",
        "De gemeente heeft scenario 2 gekozen.",
        "scenario_2",
    )
    b.user(
        "afspraken_casemanager",
        "Afspraken maken met casemanager COA",
        1,
        "g0",
        "De gemeente neemt contact op met de casemanager van het COA om afspraken te maken over de brede "
        "intake en het PIP in het azc.",
        ["scenario_2_stappen"],
        FORM_AFSPRAKEN_CASEMANAGER,
        "gemeente",
    )
    b.gateway(
        "exclusiveGateway",
        "driegesprek_eerst",
        "Driegesprek vóór de brede intake?",
        2,
        "g0",
        "De gemeente kiest het moment van het driegesprek (veld driegesprekMoment bij de scenariokeuze): "
        "vóór de brede intake, of ongeveer twee weken voor de uitstroom (dan in het hoofdproces).",
        "driegesprek_2",
    )
    b.profiel(
        "klantprofiel_voor_warme_overdracht",
        3,
        "c0",
        "voor-warme-overdracht",
        "voor warme overdracht",
        "Het COA deelt het klantprofiel voorafgaand aan de warme overdracht. De voorinburgering wordt nog "
        "aangeboden; de stand ervan volgt bij de verhuizing.",
        ["klantprofiel", "moment_overdracht"],
        extra=[
            ("voorinburgering", "aangeboden"),
            ("toelichting", "Voorinburgering wordt aangeboden; de voortgang volgt bij de verhuizing."),
            ("scenario", "2"),
        ],
    )
    b.user(
        "driegesprek",
        "Driegesprek (warme overdracht)",
        4,
        "g0",
        "Driegesprek met vergunninghouder, casemanager en klantmanager, vóór de brede intake.",
        ["driegesprek_2", "warme_overdracht"],
        FORM_DRIEGESPREK,
        "gemeente",
    )
    b.gateway("exclusiveGateway", "samenvoegen_driegesprek", "", 5, "g0", "Samenvoegen.", "driegesprek_2")
    b.user(
        "brede_intake",
        "Brede intake afnemen (in het azc)",
        6,
        "g0",
        "De gemeente neemt de brede intake af terwijl de vergunninghouder nog in het azc verblijft.",
        ["brede_intake", "scenario_2_stappen"],
        FORM_BREDE_INTAKE,
        "gemeente",
    )
    b.user(
        "pip_opstellen",
        "PIP opstellen (in het azc)",
        7,
        "g0",
        "De gemeente stelt het PIP op tijdens het verblijf in het azc: leerroute, begeleiding, PVT en MAP.",
        ["pip", "scenario_2_stappen"],
        FORM_PIP,
        "gemeente",
        due="${dateTime().plusWeeks(10).toDate()}",
    )
    b.end(
        "pip_in_azc_vastgesteld",
        "PIP vastgesteld",
        8,
        "g0",
        "Het reguliere traject start na huisvesting, in het hoofdproces.",
        "scenario_2",
    )
    f = d.flow
    f("scenario_2_gestart", "afspraken_casemanager")
    f("afspraken_casemanager", "driegesprek_eerst")
    f(
        "driegesprek_eerst",
        "klantprofiel_voor_warme_overdracht",
        name="Ja",
        condition="${driegesprekMoment == 'voor-intake'}",
        exit="t",
    )
    f(
        "driegesprek_eerst",
        "samenvoegen_driegesprek",
        name="Nee, vlak voor uitstroom",
        default=True,
        exit="b",
        entry="b",
        via_row="g1",
    )
    f("klantprofiel_voor_warme_overdracht", "driegesprek")
    f("driegesprek", "samenvoegen_driegesprek")
    f("samenvoegen_driegesprek", "brede_intake")
    f("brede_intake", "pip_opstellen")
    f("pip_opstellen", "pip_in_azc_vastgesteld")
    return d


def build_scenario_3() -> Diagram:
    file = "scenario_3.bpmn"
    d = Diagram(
        definitions_id="Definitions_scenario_3",
        process_id="scenario_3",
        process_name="Scenario 3: brede intake en PIP na huisvesting",
        participant_id="deelnemer_scenario_3",
        participant_doc=doc(file, "deelnemer_scenario_3", "Scenario 3.", "scenario_3"),
        process_doc="Scenario 3, aangeroepen vanuit doorlopende_lijn na de verhuizing.",
        lanes=[
            (
                "lane_gemeente",
                "Gemeente",
                [("g0", 140)],
                doc(file, "lane_gemeente", "De gemeente (klantmanager).", "regie"),
            )
        ],
    )
    b = Builder(d, file)
    b.start(
        "na_huisvesting_gestart",
        "Vergunninghouder gehuisvest",
        0,
        "g0",
        "De vergunninghouder woont in de gemeente.",
        "scenario_3_intake",
    )
    b.user(
        "brede_intake",
        "Brede intake afnemen",
        1,
        "g0",
        "De gemeente neemt pas na huisvesting de brede intake af.",
        ["scenario_3_intake", "brede_intake"],
        FORM_BREDE_INTAKE,
        "gemeente",
    )
    b.user(
        "pip_opstellen",
        "PIP opstellen",
        2,
        "g0",
        "De gemeente stelt na huisvesting het PIP op: leerroute, begeleiding, PVT en MAP.",
        ["scenario_3_intake", "pip"],
        FORM_PIP,
        "gemeente",
        due="${dateTime().plusWeeks(10).toDate()}",
    )
    b.end(
        "pip_na_huisvesting_vastgesteld",
        "PIP vastgesteld",
        3,
        "g0",
        "Het reguliere traject start hierna, in het hoofdproces.",
        "scenario_3",
    )
    f = d.flow
    f("na_huisvesting_gestart", "brede_intake")
    f("brede_intake", "pip_opstellen")
    f("pip_opstellen", "pip_na_huisvesting_vastgesteld")
    return d


def build_programma() -> Diagram:
    file = "voorinburgering.bpmn"
    d = Diagram(
        definitions_id="Definitions_voorbereiding_inburgering",
        process_id="voorbereiding_inburgering",
        process_name="Voorbereiding op de inburgering (COA)",
        participant_id="deelnemer_programma_coa",
        participant_doc=doc(file, "deelnemer_programma_coa", "Het programma van het COA.", "voorinburgering"),
        process_doc="Het programma voorinburgering van het COA, aangeroepen vanuit doorlopende_lijn als "
        "activiteit 'voorinburgering'. Huisvesting onderbreekt het programma daar.",
        lanes=[
            (
                "lane_coa",
                "COA",
                [("c_up", 110), ("c0", 130), ("c_down", 110)],
                doc(file, "lane_coa", "Het COA (casemanager).", "voorinburgering"),
            )
        ],
    )
    b = Builder(d, file)
    b.start(
        "programma_gestart",
        "Aanbod voorinburgering",
        0,
        "c0",
        "Het COA biedt het programma aan, 2 weken na de koppeling.",
        "voorinburgering",
        "coa_weten",
    )
    b.script(
        "aanbod_registreren",
        "Aanbod registreren",
        1,
        "c0",
        "Het aanbod is gedaan; de stand wordt bijgehouden voor het klantprofiel.",
        ["voorinburgering"],
        [
            "voorinburgeringStatus = 'aangeboden'",
            "voorinburgeringGevolgd = False",
            "toelichtingVoorinburgering = ''",
        ],
    )
    b.user(
        "aanbod_programma",
        "Aanbod bespreken met vergunninghouder",
        2,
        "c0",
        "De casemanager bespreekt het aanbod: NT2, de modules KNM, MAP en PVT en individuele begeleiding. "
        "Deelname is vrijwillig; als deelnemen niet lukt, licht de casemanager dat toe.",
        ["voorinburgering", "onderdelen", "niet_gevolgd"],
        FORM_AANBOD,
        "coa",
    )
    b.gateway(
        "exclusiveGateway",
        "deelname_gekozen",
        "Reactie op aanbod?",
        3,
        "c0",
        "Geaccepteerd, afgewezen of niet mogelijk.",
        "niet_gevolgd",
    )
    b.user(
        "programma_volgen",
        "Programma volgen en klantprofiel bijwerken",
        4,
        "c0",
        "De vergunninghouder volgt het programma; de casemanager legt de voortgang per onderdeel vast en "
        "werkt het klantprofiel bij.",
        ["onderdelen", "klantprofiel"],
        FORM_PROGRAMMA,
        "coa",
    )
    b.script(
        "deelname_afgerond",
        "Afronding vastleggen",
        5,
        "c0",
        "Het programma is afgerond.",
        ["moment_programma"],
        ["voorinburgeringStatus = 'afgerond'", "voorinburgeringGevolgd = True"],
    )
    b.script(
        "deelname_geweigerd",
        "Afwijzing vastleggen",
        4.5,
        "c_up",
        "De vergunninghouder heeft het aanbod afgewezen; het COA vermeldt dit in de informatieoverdracht.",
        ["niet_gevolgd"],
        ["voorinburgeringStatus = 'geweigerd'", "voorinburgeringGevolgd = False"],
    )
    b.script(
        "deelname_niet_mogelijk",
        "Niet mogelijk vastleggen",
        4.5,
        "c_down",
        "Het is niet gelukt de vergunninghouder voorinburgering te laten volgen; het COA vermeldt dit in "
        "de informatieoverdracht.",
        ["niet_gevolgd"],
        ["voorinburgeringStatus = 'niet-mogelijk'", "voorinburgeringGevolgd = False"],
    )
    b.gateway("exclusiveGateway", "samenvoegen_deelname", "", 6, "c0", "Samenvoegen.", "moment_programma")
    b.profiel(
        "klantprofiel_na_programma",
        7,
        "c0",
        "na-voorinburgering",
        "na voorinburgering",
        "Het COA actualiseert het klantprofiel na afronding van het programma en deelt het met de gemeente. "
        "Kon de vergunninghouder de voorinburgering niet volgen, dan staat dat in deze overdracht "
        "(voorinburgeringGevolgd en toelichting).",
        ["klantprofiel", "moment_programma", "niet_gevolgd"],
        extra=[
            ("voorinburgeringGevolgd", "${voorinburgeringGevolgd}"),
            ("voorinburgering", "${voorinburgeringStatus}"),
            ("toelichting", "${toelichtingVoorinburgering}"),
        ],
    )
    b.end(
        "programma_beeindigd",
        "Programma beëindigd",
        8,
        "c0",
        "Het programma is beëindigd.",
        "moment_programma",
    )
    f = d.flow
    f("programma_gestart", "aanbod_registreren")
    f("aanbod_registreren", "aanbod_programma")
    f("aanbod_programma", "deelname_gekozen")
    f(
        "deelname_gekozen",
        "programma_volgen",
        name="Geaccepteerd",
        condition="${deelname == 'geaccepteerd'}",
        exit="r",
    )
    f(
        "deelname_gekozen",
        "deelname_geweigerd",
        name="Afgewezen",
        condition="${deelname == 'geweigerd'}",
        exit="t",
    )
    f(
        "deelname_gekozen",
        "deelname_niet_mogelijk",
        name="Niet mogelijk",
        condition="${deelname == 'niet-mogelijk'}",
        exit="b",
    )
    f("programma_volgen", "deelname_afgerond")
    f("deelname_afgerond", "samenvoegen_deelname")
    f("deelname_geweigerd", "samenvoegen_deelname", exit="r", entry="t")
    f("deelname_niet_mogelijk", "samenvoegen_deelname", exit="r", entry="b")
    f("samenvoegen_deelname", "klantprofiel_na_programma")
    f("klantprofiel_na_programma", "programma_beeindigd")
    return d


# ------------------------------------------------------------------------------------------------
BUILDERS = {
    "doorlopende_lijn.bpmn": build_main,
    "scenario_1.bpmn": build_scenario_1,
    "scenario_2.bpmn": build_scenario_2,
    "scenario_3.bpmn": build_scenario_3,
    "voorinburgering.bpmn": build_programma,
}

TABLE_START = "<!-- seed-table:start (generated by tools/build_diagrams.py) -->"
TABLE_END = "<!-- seed-table:end -->"


def seed_table() -> str:
    rows = ["| Passage in de notitie (Nederlands) | Onderdeel | Elementen |", "|---|---|---|"]
    for key, (section, passage) in QUOTES.items():
        uses = USES.get(key, [])
        if not uses:
            continue
        by_file: dict[str, list[str]] = defaultdict(list)
        for file, element in uses:
            if element not in by_file[file]:
                by_file[file].append(element)
        cells = "<br>".join(
            f"`{file}`: " + ", ".join(f"`{e}`" for e in elems) for file, elems in by_file.items()
        )
        rows.append(f"| \u201c{passage}\u201d | {section} | {cells} |")
    return "\n".join(rows)


def _normalise(text: str) -> str:
    text = text.replace("’", "'").replace("\u00a0", " ")
    text = re.sub(r"(?<=[A-Za-zé.])\d+(?=\s)", "", text)  # footnote marks
    text = re.sub(r"^\s*[-o]\s+", " ", text, flags=re.M)  # bullet marks
    return " ".join(text.split())


def check_seed(path: Path) -> list[str]:
    note = _normalise(path.read_text(encoding="utf-8"))
    return [key for key, (_s, passage) in QUOTES.items() if _normalise(passage) not in note]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check-seed", type=Path, help="the source note, to verify every quoted passage")
    args = parser.parse_args(argv)
    if args.check_seed:
        missing = check_seed(args.check_seed)
        if missing:
            print("passages not found in the note:", ", ".join(missing), file=sys.stderr)
            return 1
    for name, build in BUILDERS.items():
        xml = build().to_xml()
        (BPMN_DIR / name).write_text(xml, encoding="utf-8")
        print(f"wrote bpmn/{name}")
    readme = BPMN_DIR / "README.md"
    if readme.exists():
        text = readme.read_text(encoding="utf-8")
        if TABLE_START in text and TABLE_END in text:
            head, rest = text.split(TABLE_START, 1)
            _old, tail = rest.split(TABLE_END, 1)
            readme.write_text(f"{head}{TABLE_START}\n{seed_table()}\n{TABLE_END}{tail}", encoding="utf-8")
            print("updated the seed table in bpmn/README.md")
    _ = NOTE
    return 0


if __name__ == "__main__":
    sys.exit(main())
