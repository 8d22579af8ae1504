"""Which world region a country counts under in the statistics, where no partner names the region.

A partner's region is set by the office when it adds the partner (Partner.region) and always wins. Trips,
experts and delegations that name only a country are placed by these lists, first match in this order:
ASEAN, Belt and Road, Europe, the Americas; anything else is `other`. The office keeps these lists: a country
that signs or leaves a Belt and Road cooperation document is one line here.
"""

from __future__ import annotations

ASEAN = frozenset("BN KH ID LA MY MM PH SG TH TL VN".split())  # Timor-Leste joined in October 2025
# Countries with a Belt and Road cooperation document with China (not counting ASEAN members, listed above).
BELT_AND_ROAD = frozenset("""
    AF AE AG AL AM AO AR AZ BA BB BD BF BG BH BI BJ BO BW BY CD CF CG CI CL CM CR CU CV CY CZ DJ DM DO DZ EC EE EG
    ER ET FJ GA GD GE GH GM GN GQ GR GW GY HN HR HU IQ IR JM JO KE KG KI KM KW KZ LB LK LR LS LT LU LV LY MA MD ME MG
    MK ML MN MR MT MU MV MW MZ NA NE NG NI NP NZ OM PA PE PG PK PL PS PT QA RO RS RU RW SA SB SC SD SI SK SL SN SO
    SR SS ST SV SY TD TG TJ TM TN TO TR TT TZ UA UG UY UZ VE VU WS YE ZA ZM ZW
""".split())
EUROPE = frozenset("""
    AD AL AT BA BE BG BY CH CY CZ DE DK EE ES FI FR GB GR HR HU IE IS IT LI LT LU LV MC MD ME MK MT NL NO PL PT RO
    RS RU SE SI SK SM UA VA XK
""".split())
AMERICAS = frozenset("""
    AG AR BB BO BR BS BZ CA CL CO CR CU DM DO EC GD GT GY HN HT JM KN LC MX NI PA PE PY SR SV TT US UY VC VE
""".split())
ORDER = (("asean", ASEAN), ("belt_and_road", BELT_AND_ROAD), ("europe", EUROPE), ("americas", AMERICAS))


def region_of(country: str | None) -> str:
    for region, countries in ORDER:
        if country in countries:
            return region
    return "other"
