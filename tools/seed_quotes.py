"""Passages of the source note (13 April 2021) that the diagrams model, quoted in Dutch.

Each entry is (section, passage). The passages are verbatim, apart from whitespace, bullet marks
and footnote numbers; ``tools/build_diagrams.py --check-seed PATH`` verifies that against the note.
"""

from __future__ import annotations

NOTE = (
    "Notitie samenwerkingsafspraken gemeenten en COA t.b.v. de doorlopende lijn van inburgering, "
    "13 april 2021"
)

QUOTES: dict[str, tuple[str, str]] = {
    "regie": (
        "Aanleiding",
        "Vanaf het moment van koppeling aan toekomstige woongemeente heeft die gemeente de taak om regie "
        "te voeren op het inburgeringstraject.",
    ),
    "koppeling": (
        "Bijlage I, start bij alle scenario's",
        "Koppeling van vergunninghouder aan een woongemeente. Desbetreffende gemeente krijgt hiervan een "
        "melding via TVS.",
    ),
    "bijzonderheden": (
        "Bijlage I, start bij alle scenario's",
        "Eventueel neemt de gemeente contact op met het COA om te bespreken of er bijzonderheden zijn die "
        "relevant zijn voor de keuze van het scenario.",
    ),
    "keuze": (
        "Bijlage I, start bij alle scenario's",
        "Gemeenten laten binnen 2 weken na afgifte van de melding via TVS weten of zij desbetreffende "
        "vergunninghouder willen oppakken in lijn met scenario 1 of 2.",
    ),
    "geen_bericht": (
        "Bijlage I, start bij alle scenario's",
        "Indien de gemeente scenario 3 wenst te volgen hoeft de gemeente dit niet aan het COA te laten "
        "weten. Bij geen bericht binnen 2 weken biedt het COA namelijk het programma voorinburgering aan "
        "de vergunninghouder aan.",
    ),
    "afwijkend": (
        "Voorstel",
        "Indien een gemeente in generieke zin uitgaat van scenario 3 maar in individuele gevallen "
        "scenario 1 of 2 wil volgen, kunnen hierover afspraken worden gemaakt met het desbetreffende azc.",
    ),
    "start_twee_weken": (
        "Bijlage I, voetnoot 5",
        "Op dit moment start het COA 2 weken na koppeling met de voorinburgering.",
    ),
    "tenzij": (
        "Bijlage II, voetnoot 7",
        "Het COA biedt voorinburgering aan alle inburgeringsplichtige vergunninghouders aan die verblijven "
        "in de COA-opvang (tenzij de gemeente heeft aangegeven zelf al met de inburgering te gaan starten).",
    ),
    "scenario_1": (
        "Mogelijke samenwerkingsvormen",
        "De gemeente start na koppeling snel - al vóór daadwerkelijke huisvesting - met het reguliere "
        "inburgeringstraject; in dat geval zal de vergunninghouder geen gebruik maken van het programma "
        "voorinburgering bij het COA.",
    ),
    "scenario_1_stappen": (
        "Bijlage I, indien scenario 1",
        "De gemeente start na de warme overdracht met de brede intake, eventuele begeleiding en het "
        "opstellen van het PIP. De gemeente is ook in staat om vervolgens met het verdere "
        "inburgeringstraject te starten. De gemeente maakt hier in het kader van de warme overdracht "
        "afspraken over met het COA.",
    ),
    "scenario_2": (
        "Mogelijke samenwerkingsvormen",
        "De gemeente start met de brede intake/PIP tijdens verblijf op het azc, het reguliere "
        "inburgeringstraject start na daadwerkelijke huisvesting in de gemeente; de vergunninghouder wordt "
        "tijdens zijn verdere verblijf bij het COA aangemoedigd gebruik te maken van het programma "
        "voorinburgering.",
    ),
    "scenario_2_stappen": (
        "Bijlage I, indien scenario 2",
        "De gemeente start met het afnemen van de brede intake en het opstellen van het PIP. De gemeente "
        "neemt contact op met de casemanager bij het COA om hier nadere afspraken over te maken.",
    ),
    "aanbod_begeleiding": (
        "Bijlage I, indien scenario 2 en 3",
        "De vergunninghouder krijgt voorinburgering aangeboden. De dagelijkse begeleiding vanuit het COA "
        "blijft doorgaan zolang de bewoner op het azc verblijft.",
    ),
    "gehuisvest": (
        "Bijlage I, indien scenario 2 en 3",
        "Zodra de vergunninghouder gehuisvest kan worden start de inburgering in de gemeente.",
    ),
    "scenario_3": (
        "Mogelijke samenwerkingsvormen",
        "De gemeente start na daadwerkelijke huisvesting met het reguliere inburgeringstraject (incl. "
        "intake); de vergunninghouder wordt tijdens zijn verdere verblijf bij het COA aangemoedigd gebruik "
        "te maken van het programma voorinburgering.",
    ),
    "scenario_3_intake": (
        "Bijlage I, indien scenario 3",
        "De gemeente zal pas starten met het afnemen van de brede intake en het opstellen van het PIP "
        "nadat de vergunninghouder gehuisvest is in de gemeente.",
    ),
    "kennismaken": (
        "Bijlage I, indien scenario 3",
        "Indien de gemeente tijdens het verblijf op het azc al met de vergunninghouder kennis wil maken, "
        "kan hierover contact opgenomen worden met de casemanager bij het COA.",
    ),
    "onderbreken": (
        "Voorstel",
        "Zodra de vergunninghouder gehuisvest kan worden start de inburgering in de gemeente, ook als dit "
        "leidt tot het onderbreken van de voorinburgering.",
    ),
    "voorrang": (
        "Mogelijke samenwerkingsvormen",
        "De reguliere inburgering in de gemeente heeft in de nieuwe wet in alle gevallen ook voorrang op "
        "de voorinburgering op het azc.",
    ),
    "huisvesting": (
        "Bijlage II, kansrijke koppeling",
        "Na deze koppeling heeft die gemeente ongeveer twaalf weken de tijd om huisvesting te regelen.",
    ),
    "klantprofiel": (
        "Bijlage I, informatieoverdracht",
        "T.b.v. een goede informatieoverdracht wordt het klantprofiel door het COA regelmatig "
        "geactualiseerd en gedeeld met de gemeente via TVS.",
    ),
    "moment_koppeling": ("Bijlage I, informatieoverdracht", "Na koppeling"),
    "moment_programma": ("Bijlage I, informatieoverdracht", "Na afronden programma voorinburgering"),
    "moment_overdracht": ("Bijlage I, informatieoverdracht", "Voorafgaand aan de warme overdracht"),
    "moment_verhuizing": ("Bijlage I, informatieoverdracht", "Op moment van verhuizing"),
    "niet_gevolgd": (
        "Bijlage II, voetnoot 7",
        "In uitzonderlijke gevallen kan het helaas voorkomen dat het niet lukt om een vergunninghouder "
        "voorinburgering te laten volgen. Het COA vermeldt dit dan in de informatieoverdracht aan de "
        "gemeente.",
    ),
    "warme_overdracht": (
        "Bijlage I, informatieoverdracht",
        "T.b.v. de warme overdracht neemt de gemeente contact op met de casemanager van het COA om een "
        "gesprek in te plannen tussen de casemanager, de klantmanager en de vergunninghouder.",
    ),
    "driegesprek_1": (
        "Bijlage I, informatieoverdracht",
        "In het geval van scenario 1 vindt dit driegesprek aan het begin plaats, voorafgaand aan de start "
        "van het reguliere inburgeringstraject door de gemeente.",
    ),
    "driegesprek_2": (
        "Bijlage I, informatieoverdracht",
        "Het driegesprek kan daardoor voorafgaand aan de brede intake plaatsvinden, maar ook twee weken "
        "voor het moment van uitstroom naar de gemeente.",
    ),
    "driegesprek_3": (
        "Bijlage I, informatieoverdracht",
        "In het geval van scenario 3 vindt het driegesprek plaats ongeveer twee weken voor de uitstroom "
        "naar de gemeente.",
    ),
    "voorinburgering": (
        "Bijlage II, voorbereiding op inburgering",
        "Inburgeringsplichtige vergunninghouders die in afwachting van huisvesting in de gemeente in het "
        "azc verblijven en nog niet kunnen starten met een gemeentelijk inburgeringstraject, wordt door "
        "het COA een programma voorinburgering aangeboden.",
    ),
    "onderdelen": (
        "Bijlage II, voorbereiding op inburgering",
        "Nederlandse taal (NT2). de modules Kennis Nederlandse Maatschappij (KNM), Arbeidsmarkt & "
        "Participatie (MAP) en het participatieverklaringstraject (PVT) individuele begeleiding op "
        "integratie en participatie door casemanagers.",
    ),
    "brede_intake": (
        "Bijlage II, brede intake",
        "Door middel van de brede intake, die verplicht is voor elke inburgeringsplichtige en die door "
        "gemeenten wordt afgenomen, wordt een beeld gevormd van de startpositie en "
        "ontwikkelmogelijkheden van de inburgeringsplichtige op het gebied van inburgering en participatie.",
    ),
    "pip": (
        "Bijlage II, PIP",
        "Het PIP bevat de beslissing waarbij de leerscenario wordt vastgesteld en bevat overige informatie "
        "over op welke wijze de inburgeringsplichtige aan zijn inburgeringsplicht moet voldoen, waaronder "
        "de nadere invulling van het PVT en de MAP. In het PIP wordt tevens vermeld hoe de gemeente "
        "begeleiding en ondersteuning biedt aan de inburgeringsplichtige bij het inburgeringstraject.",
    ),
    "coa_begeleidt": (
        "Bijlage I, voetnoot 6",
        "Het COA begeleidt alle bewoners vanaf dag 1 in de opvang tot het moment van vertrek.",
    ),
    "coa_weten": (
        "Mogelijke samenwerkingsvormen",
        "Het COA is immers in de nieuwe wet verplicht om aan de vergunninghouder voorinburgering aan te "
        "bieden.",
    ),
}
