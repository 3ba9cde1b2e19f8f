#!/usr/bin/env python3
"""Drives a running `caretime serve` with a real FHIR R4 client, python's `fhirclient`.

Usage: python3 .ci/fhir_client.py BASE_URL TOKEN     (TOKEN: a scheduler's bearer token)

Every answer is parsed into fhirclient's R4 models, strictly: a property the model does not know
or a value of the wrong type fails. The story: GET /metadata as a CapabilityStatement; a search of
Appointments; `$find` (Parameters built with the models) for the first member with a proposal;
`$book` of the first proposal, which must come back `booked` at the proposed time; a second
`$book` of it, which must be 409 with an OperationOutcome `conflict`; the member's appointments
then hold the booked one. When the CapabilityStatement lists Slot, a search of a schedule's free
Slots too (which must not offer the booked time).

Prints what it checked and exits 0, or prints each problem and exits 1 (2 for a usage error).
No member data is printed: ids and counts only.
"""

import sys

import requests
from fhirclient import client
from fhirclient.models.appointment import Appointment
from fhirclient.models.bundle import Bundle
from fhirclient.models.capabilitystatement import CapabilityStatement
from fhirclient.models.coding import Coding
from fhirclient.models.fhirreference import FHIRReference
from fhirclient.models.operationoutcome import OperationOutcome
from fhirclient.models.parameters import Parameters, ParametersParameter

FIRST_MEMBERS = 200


class Failed(Exception):
    """A check that did not hold."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise Failed(message)


def parameter(name: str, **value) -> ParametersParameter:
    part = ParametersParameter()
    part.name = name
    for key, item in value.items():
        setattr(part, key, item)
    return part


def reference(text: str) -> FHIRReference:
    ref = FHIRReference()
    ref.reference = text
    return ref


def find_parameters(member: int, count: int) -> Parameters:
    visit_type = Coding()
    visit_type.code = "initial"
    params = Parameters()
    params.parameter = [
        parameter("patient-reference", valueReference=reference(f"Patient/{member}")),
        parameter("visit-type", valueCoding=visit_type),
        parameter("_count", valueInteger=count),
    ]
    return params


def book_parameters(appointment: str) -> Parameters:
    params = Parameters()
    params.parameter = [parameter("appointment-reference", valueReference=reference(appointment))]
    return params


def first_page(search, server) -> Bundle:
    """The first Bundle a search answers (fhirclient follows `next` links lazily)."""
    return next(search.perform_iter(server))


def appointments_of(bundle: Bundle) -> list[Appointment]:
    found = []
    for entry in bundle.entry or []:
        check(
            isinstance(entry.resource, Appointment),
            f"a {type(entry.resource).__name__} in a Bundle of Appointments",
        )
        found.append(entry.resource)
    return found


def post(server, path: str, params: Parameters) -> requests.Response:
    """POSTs `params`; the response whatever its status (fhirclient raises on >= 400)."""
    try:
        return server.post_json(path, params.as_json())
    except requests.HTTPError as error:
        return error.response


def participant_of(appointment: Appointment, kind: str) -> str | None:
    for participant in appointment.participant or []:
        if participant.actor and (participant.actor.reference or "").startswith(f"{kind}/"):
            return participant.actor.reference
    return None


def story(base: str, token: str) -> list[str]:
    done = []
    smart = client.FHIRClient(settings={"app_id": "caretime-ci", "api_base": base})
    server = smart.server
    server.session.headers["Authorization"] = f"Bearer {token}"

    capability = CapabilityStatement.read_from("metadata", server)
    check(capability.fhirVersion == "4.0.1", f"fhirVersion {capability.fhirVersion}")
    check(capability.kind == "instance", f"CapabilityStatement.kind {capability.kind}")
    resources = {resource.type: resource for resource in capability.rest[0].resource or []}
    check("Appointment" in resources, "/metadata does not list Appointment")
    operations = {operation.name for operation in resources["Appointment"].operation or []}
    check({"find", "book"} <= operations, f"Appointment operations {sorted(operations)}")
    done.append(f"/metadata: a CapabilityStatement of {len(resources)} resource types")

    search = {"practitioner": "Practitioner/0", "status": "booked", "_count": "5"}
    bundle = first_page(Appointment.where(search), server)
    check(bundle.type == "searchset", f"an Appointment search is a {bundle.type} Bundle")
    booked_before = appointments_of(bundle)
    check(
        all(appointment.status == "booked" for appointment in booked_before),
        "a search for booked Appointments returned another status",
    )
    done.append(
        f"GET /Appointment?practitioner=Practitioner/0&status=booked: {len(booked_before)} Appointments"
    )

    member, proposals = None, []
    for candidate in range(1, FIRST_MEMBERS + 1):
        answer = server.post_json("Appointment/$find", find_parameters(candidate, 3).as_json())
        bundle = Bundle(answer.json())
        check(bundle.type == "searchset", f"$find answered a {bundle.type} Bundle")
        proposals = appointments_of(bundle)
        check(bundle.total == len(proposals), f"$find total {bundle.total}, {len(proposals)} entries")
        if proposals:
            member = candidate
            break
    check(member is not None, f"no member among the first {FIRST_MEMBERS} has a proposal")
    for proposal in proposals:
        check(proposal.status == "proposed", f"a $find proposal is {proposal.status}")
        check(proposal.start is not None and proposal.end is not None, "a proposal without times")
        check(proposal.start.date < proposal.end.date, "a proposal that ends before it starts")
    done.append(f"$find for Patient/{member}: {len(proposals)} proposed Appointments")

    first = proposals[0]
    first_ref = f"Appointment/{first.id}"
    answer = post(server, "Appointment/$book", book_parameters(first_ref))
    check(answer.status_code == 200, f"$book answered {answer.status_code}")
    booked = appointments_of(Bundle(answer.json()))
    check(len(booked) == 1, f"$book returned {len(booked)} Appointments")
    appointment = booked[0]
    check(appointment.status == "booked", f"the booked Appointment is {appointment.status}")
    check(appointment.start.date == first.start.date, "booked at another time than proposed")
    check(appointment.end.date == first.end.date, "booked until another time than proposed")
    check(
        participant_of(appointment, "Patient") == f"Patient/{member}",
        "the booked Appointment is not the member's",
    )
    practitioner = participant_of(appointment, "Practitioner")
    check(practitioner == participant_of(first, "Practitioner"), "booked with another clinician")
    done.append(f"$book {first_ref}: booked as Appointment/{appointment.id}")

    again = post(server, "Appointment/$book", book_parameters(first_ref))
    check(again.status_code == 409, f"a second $book of one proposal answered {again.status_code}")
    outcome = OperationOutcome(again.json())
    check(outcome.issue[0].code == "conflict", f"the 409 says {outcome.issue[0].code}")
    done.append("$book again: 409 with an OperationOutcome `conflict`")

    bundle = first_page(Appointment.where({"patient": f"Patient/{member}"}), server)
    mine = [found for found in appointments_of(bundle) if found.status == "booked"]
    check(
        any(found.start.date == appointment.start.date for found in mine),
        "the member's appointments do not hold the booked one",
    )
    done.append(f"GET /Appointment?patient=Patient/{member}: the booked one is there")

    if "Slot" in resources:
        done.append(free_slots(server, practitioner, appointment))
    else:
        done.append("Slot: not in /metadata yet, not searched")
    return done


def free_slots(server, practitioner: str, appointment: Appointment) -> str:
    """Searches the free Slots of the booked clinician's schedule (a Schedule per clinician, with
    the clinician's id): free, of that schedule, and none at the booked time."""
    from fhirclient.models.slot import Slot

    schedule = f"Schedule/{practitioner.split('/', 1)[1]}"
    search = Slot.where({"schedule": schedule, "status": "free", "_count": "50"})
    bundle = first_page(search, server)
    check(bundle.type == "searchset", f"a Slot search is a {bundle.type} Bundle")
    slots = [entry.resource for entry in bundle.entry or []]
    for slot in slots:
        check(isinstance(slot, Slot), f"a {type(slot).__name__} in a Bundle of Slots")
        check(slot.status == "free", f"a free-Slot search returned a {slot.status} Slot")
        check(slot.schedule.reference == schedule, f"a Slot of {slot.schedule.reference}")
        check(slot.start.date < slot.end.date, "a Slot that ends before it starts")
        check(
            not (slot.start.date < appointment.end.date and appointment.start.date < slot.end.date),
            "a free Slot overlaps the booked appointment",
        )
    return f"GET /Slot?schedule={schedule}&status=free: {len(slots)} free Slots"


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        done = story(argv[1], argv[2])
    except Failed as failed:
        print(f"fhir_client: {failed}", file=sys.stderr)
        return 1
    except requests.HTTPError as error:  # an answer >= 400 where none was expected
        print(f"fhir_client: {error}: {error.response.text[:500]}", file=sys.stderr)
        return 1
    except Exception as error:  # a model that does not parse, a server that does not answer
        print(f"fhir_client: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    for line in done:
        print(f"fhir_client: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
