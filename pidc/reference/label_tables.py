"""Generic labels (member ``*``) for every code list a member might write in words.

Every code of the contract maps from its own code and its contract labels (English and French);
the synonyms below add the words officers actually use. Member-specific spellings live in
``member_label_mappings.csv`` (written by the sample generator or the Secretariat) and win over
these.
"""

from __future__ import annotations

import logging

from pidc.contract import Contract, load_contract
from pidc.normalise import normalise_label

log = logging.getLogger(__name__)

GENERIC_MEMBER = "*"

# code_list -> code -> synonyms (beyond the code and its contract label, which always map).
SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "dataset": {
        "movements": ("Border movements", "Arrivals and departures", "Movement"),
        "permits": ("Visas", "Permits", "Visas and permits", "Permits issued"),
        "irregular": ("Irregular migration", "Irregular migration detections", "Detections"),
        "refusals": ("Refusal of entry", "Refusals", "Entry refusals"),
        "document_fraud": ("Document fraud", "Fraudulent documents", "False documents"),
        "facilitation": ("Smuggling and trafficking", "People smuggling and human trafficking"),
        "removals": ("Removals", "Removals and returns", "Deportations and removals"),
    },
    "direction": {
        "ARR": ("Arrivals", "Arriving", "Inbound", "In", "Entry", "Entries", "Arr."),
        "DEP": ("Departures", "Departing", "Outbound", "Out", "Exit", "Exits", "Dep."),
    },
    "traveller_type": {
        "CIT": ("Citizens", "National", "Nationals", "Returning citizen", "Returning citizens"),
        "RES": (
            "Resident",
            "Residents",
            "Permanent resident",
            "Permanent residents",
            "Returning resident",
            "Returning residents",
            "Non-citizen resident",
        ),
        "VIS": ("Visitors", "Tourist", "Tourists", "Non-resident", "Non-residents"),
        "CRW": ("Crew member", "Crew members", "Aircrew", "Ship crew", "Seafarer", "Seafarers"),
        "TRN": ("Transit", "Transit passengers", "In transit", "Transiting"),
        "RST": (
            "Usual resident",
            "Usual residents",
            "All residents",
            "Citizens and residents",
            "Residents including citizens",
        ),
    },
    "country_basis": {
        "NAT": ("Citizenship", "By nationality", "Nat"),
        "RES": (
            "Residence",
            "Usual residence",
            "Country of usual residence",
            "By residence",
            "Res",
        ),
        "DST": (
            "Destination",
            "Final destination",
            "Country of destination",
            "By destination",
            "Dst",
        ),
    },
    "purpose": {
        "HOL": (
            "Holidays",
            "Vacation",
            "Leisure",
            "Tourism",
            "Tourist",
            "Pleasure",
            "Holiday/vacation",
            "Holiday and leisure",
        ),
        "BUS": ("Business trip", "Commercial"),
        "VFR": (
            "Visiting friends/relatives",
            "Visiting friends and relatives",
            "Visiting relatives",
            "Visiting friends",
            "Friends and relatives",
            "Family visit",
            "VFR",
        ),
        "EDU": ("Education", "Training", "Education/training", "Study", "Studies", "Student"),
        "EMP": ("Work", "Working", "Employment/work", "Job"),
        "OFF": (
            "Official",
            "Conference",
            "Official/conference",
            "Official business",
            "Government",
            "Meeting",
            "Meetings",
            "Conference/meetings",
        ),
        "TRN": ("In transit",),
        "OTH": ("Others", "Other purposes", "Miscellaneous"),
    },
    "mode": {
        "AIR": (
            "By air",
            "Aircraft",
            "Airplane",
            "Aeroplane",
            "Plane",
            "Flight",
            "Airport",
            "Aviation",
        ),
        "SEA": (
            "By sea",
            "Vessel",
            "Ship",
            "Boat",
            "Yacht",
            "Cruise",
            "Cruise ship",
            "Seaport",
            "Maritime",
        ),
    },
    "permit_type": {
        "VISITOR": ("Visitor visa", "Visitor permit", "Tourist visa", "Visit visa"),
        "WORK": ("Work permit", "Work visa", "Employment permit", "Employment visa", "Employment"),
        "LABOUR_MOBILITY": (
            "Labour mobility",
            "Labor mobility",
            "Labour-mobility scheme",
            "Seasonal worker",
            "Seasonal workers",
            "Seasonal work",
            "RSE",
            "PALM",
            "Pacific Australia Labour Mobility",
            "Recognised Seasonal Employer",
        ),
        "STUDENT": ("Student visa", "Student permit", "Study permit", "Study visa", "Study"),
        "RESIDENCE": (
            "Residence permit",
            "Permanent residence",
            "Residency",
            "Resident visa",
            "Residence visa",
        ),
        "OTHER": ("Others",),
    },
    "irregular_category": {
        "IRREGULAR_ENTRY": (
            "Illegal entry",
            "Unlawful entry",
            "Entry without authority",
            "Illegal arrival",
        ),
        "OVERSTAY": ("Overstayer", "Overstayers", "Overstayed", "Visa overstay", "Overstaying"),
        "VISA_BREACH": (
            "Visa condition breach",
            "Breach of visa conditions",
            "Visa breach",
            "Breach of conditions",
            "Condition breach",
        ),
        "ABSCONDED_CREW": (
            "Crew absconder",
            "Crew absconders",
            "Absconding crew",
            "Deserted crew",
            "Ship jumper",
            "Ship jumpers",
            "Jumped ship",
        ),
        "STOWAWAY": ("Stowaways",),
        "UNAUTHORISED_WORK": (
            "Unauthorized work",
            "Illegal work",
            "Working illegally",
            "Illegal employment",
            "Working without permit",
        ),
    },
    "sex": {
        "M": ("Males", "Man", "Men"),
        "F": ("Females", "Woman", "Women"),
        "X": ("Indeterminate", "Non-binary", "Another gender", "Gender diverse"),
        "_T": ("Both sexes", "All sexes", "Persons"),
    },
    "age_group": {
        "Y0T17": ("0-17", "0 to 17", "0-17 years", "Under 18 years", "Children", "Minors", "Minor"),
        "Y18T34": ("18-34", "18-34 years", "18 to 34 years"),
        "Y35T54": ("35-54", "35-54 years", "35 to 54 years"),
        "Y_GE55": ("55+", "55 and above", "55 years and over", "55 and older", "55 plus"),
        # Five-year bands, as statistics offices publish them (Fiji's table 5 writes "05-09").
        **{
            f"Y{low}T{low + 4}": (
                f"{low}-{low + 4}",
                f"{low:02d}-{low + 4:02d}",
                f"{low}-{low + 4} years",
                f"{low} to {low + 4} years",
            )
            for low in range(0, 65, 5)
        },
        "Y_GE65": (
            "65+",
            "65 and above",
            "65 years and over",
            "65 and older",
            "65 plus",
            "65 & over",
            "Over 64",
        ),
        "_T": ("All ages",),
    },
    "detection_location": {
        "AIRPORT": ("Airport", "At airport", "Air"),
        "SEAPORT": ("Seaport", "At seaport", "Port", "Wharf", "Harbour", "Harbor"),
        "INLAND": ("In country", "Onshore", "Within territory", "Inland detection"),
        "AT_SEA": ("Sea patrol", "On the high seas", "Maritime patrol"),
    },
    "refusal_reason": {
        "A": (
            "No valid document",
            "No passport",
            "No valid passport",
            "Invalid passport",
            "Invalid travel document",
        ),
        "B": (
            "False travel document",
            "False document",
            "Counterfeit document",
            "Forged document",
            "Forged passport",
            "Fraudulent document",
            "Fraudulent passport",
        ),
        "C": ("No visa", "No valid visa", "No visa or permit", "No residence permit"),
        "D": (
            "False visa",
            "Forged visa",
            "Counterfeit visa",
            "Fraudulent visa",
            "False residence permit",
        ),
        "E": (
            "Purpose not justified",
            "Purpose of stay not justified",
            "Purpose and conditions not justified",
            "No return ticket",
            "No onward ticket",
        ),
        "F": ("Overstay", "Prior overstay", "Previously overstayed"),
        "G": (
            "Insufficient means",
            "Insufficient funds",
            "Lack of funds",
            "Insufficient means of support",
        ),
        "H": (
            "Alert",
            "Watch list",
            "Watchlist",
            "Alert list",
            "On watch list",
            "Border alert",
            "Interpol alert",
        ),
        "I": (
            "Threat to public order",
            "Threat to public security",
            "Threat to public health",
            "Public order",
            "Security threat",
            "Health risk",
            "Character grounds",
        ),
        "OTH": ("Others", "Other reasons", "Other reason"),
    },
    "document_type": {
        "PASSPORT": ("Passports", "PPT"),
        "VISA": ("Visas", "Visa label", "Visa sticker"),
        "ID_CARD": ("ID card", "ID", "National ID", "National identity card", "ID document"),
        "RESIDENCE_PERMIT": ("Residence card", "Permanent resident card", "Resident permit"),
        "OTHER": ("Others", "Other document", "Other documents"),
    },
    "fraud_type": {
        "COUNTERFEIT": ("Counterfeited", "Fake", "Fake document"),
        "FORGED": ("Forgery", "Altered", "Falsified", "Tampered", "Forged/altered"),
        "FRAUD_OBTAINED": (
            "Fraudulently obtained",
            "Genuine fraudulently obtained",
            "FOG",
            "Obtained by fraud",
        ),
        "IMPOSTOR": ("Imposter", "Look-alike", "Lookalike", "Impersonation"),
        "PSEUDO": ("Pseudo", "Pseudo document", "Fantasy document", "Camouflage passport"),
        "STOLEN_BLANK": ("Stolen blank document", "Stolen blanks", "Blank stolen"),
    },
    "case_type": {
        "SMUGGLING": ("Smuggling", "Migrant smuggling", "Human smuggling", "Smuggling of migrants"),
        "TRAFFICKING": ("Trafficking", "Trafficking in persons", "TIP", "People trafficking"),
    },
    "facilitation_role": {
        "FACILITATOR": (
            "Facilitators",
            "Smuggler",
            "Smugglers",
            "Trafficker",
            "Traffickers",
            "Organiser",
            "Organizer",
        ),
        "SMUGGLED_PERSON": (
            "Smuggled persons",
            "Smuggled migrant",
            "Smuggled migrants",
            "Smuggled",
        ),
        "VICTIM": (
            "Victims",
            "Trafficking victim",
            "Victim of trafficking",
            "Trafficked person",
            "Trafficked persons",
        ),
    },
    "removal_type": {
        "DEPORTATION": ("Deportations", "Deported", "Deportee", "Deportees", "Deportation order"),
        "REMOVAL": ("Removals", "Removed", "Removal order"),
        "VOLUNTARY_DEPARTURE": ("Voluntary departures", "Departed voluntarily", "Voluntary"),
        "ASSISTED_RETURN": (
            "Assisted voluntary return",
            "AVR",
            "AVRR",
            "Assisted voluntary return and reintegration",
        ),
    },
    "observation_topic": {
        "TREND": ("Trends",),
        "MODUS_OPERANDI": ("MO", "Method"),
        "ROUTE": ("Routes", "Travel route"),
        "OTHER": ("Others",),
    },
}

# Synonyms of the special codes, for every code list that admits them.
SPECIAL_SYNONYMS: dict[str, tuple[str, ...]] = {
    "_T": ("Total", "Totals", "All", "Grand total", "All values"),
    "_U": ("Not stated", "Unspecified", "Not specified", "Not known"),
    "_Z": ("N/A", "NA", "Not relevant"),
}

# Refusal grounds are often written by letter with words around it ("Ground A", "A - No ...").
LETTERED_CODE_LISTS = ("refusal_reason",)


class LabelMappingError(ValueError):
    """The curated label synonyms disagree with the contract or with each other."""


def stray_synonyms(contract: Contract | None = None) -> list[tuple[str, str]]:
    """(code_list, code) pairs that have curated synonyms but are not codes of the contract.

    Non-empty means the contract changed (or a code was misread) and this module needs the
    same change; the build skips them with a warning instead of inventing codes.
    """
    contract = contract or load_contract()
    stray: list[tuple[str, str]] = []
    for name, synonyms in SYNONYMS.items():
        known = contract.codes(name) if name in contract.code_lists else {}
        stray.extend((name, code) for code in synonyms if code not in known)
    return sorted(stray)


def _label_candidates(contract: Contract) -> list[tuple[str, str, str]]:
    """(code_list, label, code) in a fixed order: the code, its contract label, then synonyms."""
    for code_list, code in stray_synonyms(contract):
        log.warning(
            "label synonyms for %s code %r skipped: the contract has no such code "
            "(update pidc/reference/label_tables.py or pidc/contract.yaml)",
            code_list,
            code,
        )
    candidates: list[tuple[str, str, str]] = []
    for name in contract.code_lists:
        synonyms = SYNONYMS.get(name, {})
        french = contract.labels(name, "fr")
        for code, label in contract.codes(name).items():
            labels = [code, label, *synonyms.get(code, ()), *SPECIAL_SYNONYMS.get(code, ())]
            # The French label too (issue 16): a French office's CSV maps like its template.
            labels.append(french[code])
            if name in LETTERED_CODE_LISTS and len(code) == 1:
                labels += [f"{code} - {label}", f"Ground {code}", f"Reason {code}"]
            candidates.extend((name, text, code) for text in labels)
    return candidates


def label_mapping_rows(contract: Contract | None = None) -> list[list[object]]:
    """Rows of seed ``label_mappings.csv`` (member ``*``), sorted by code list and label.

    Raises :class:`LabelMappingError` when one normalised label would map to two codes of the
    same list: curated data must be fixed, not silently resolved.
    """
    contract = contract or load_contract()
    chosen: dict[tuple[str, str], tuple[str, str]] = {}
    for code_list, label, code in _label_candidates(contract):
        normalised = normalise_label(label)
        if not normalised:
            continue
        key = (code_list, normalised)
        if key in chosen and chosen[key][1] != code:
            raise LabelMappingError(
                f"label {label!r} ({normalised!r}) in code list {code_list!r} maps to both "
                f"{chosen[key][1]} and {code}; remove one synonym in pidc/reference/label_tables.py"
            )
        chosen.setdefault(key, (label, code))
    return [
        [GENERIC_MEMBER, code_list, label, normalised, code]
        for (code_list, normalised), (label, code) in sorted(chosen.items())
    ]
