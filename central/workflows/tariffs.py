"""Fees are configuration, not code: a TOML tariff table per office (the seeds give no amounts).

Billing codes here are **our own numeric format, not the real SIMPONI format** (which the Ministry of
Finance issues): 15 digits = 3-digit service number, ``YYMMDD`` billing date, 5-digit daily sequence,
and a Luhn check digit so a mistyped code is caught at the cashier.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from central.workflows.errors import ActionRefused, DefinitionError

EXAMPLE = Path(__file__).resolve().parent / "tariffs.example.toml"


@dataclass(frozen=True)
class Tariff:
    number: int
    amount: int


@dataclass(frozen=True)
class Tariffs:
    services: dict[str, Tariff]
    overstay_per_day: int
    currency: str = "IDR"

    @classmethod
    def load(cls, path: Path = EXAMPLE) -> Tariffs:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise DefinitionError(f"tariff table {path}: cannot be read ({exc}); fix or replace it") from None
        services = {}
        for code, row in data.get("services", {}).items():
            number, amount = row.get("number"), row.get("amount")
            if (
                not isinstance(number, int)
                or not 0 < number < 1000
                or not isinstance(amount, int)
                or amount < 0
            ):
                raise DefinitionError(
                    f"tariff table {path.name}: service {code} needs number (1-999) "
                    "and amount (whole rupiah >= 0)"
                )
            services[code] = Tariff(number, amount)
        per_day = data.get("overstay_per_day", 0)
        if not isinstance(per_day, int) or per_day < 0:
            raise DefinitionError(f"tariff table {path.name}: overstay_per_day must be whole rupiah >= 0")
        return cls(services, per_day, str(data.get("currency", "IDR")))

    def tariff(self, service_code: str) -> Tariff:
        try:
            return self.services[service_code]
        except KeyError:
            raise ActionRefused(
                f"no tariff for service {service_code}; add [services.{service_code}] to the tariff table"
            ) from None


def luhn_digit(digits: str) -> int:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10


def billing_code(service_number: int, day: date, sequence: int) -> str:
    """>>> billing_code(101, date(2026, 11, 22), 1)
    '101261122000017'
    """
    body = f"{service_number:03d}{day:%y%m%d}{sequence:05d}"
    return body + str(luhn_digit(body))


def is_valid_billing_code(code: str) -> bool:
    return len(code) == 15 and code.isdigit() and luhn_digit(code[:-1]) == int(code[-1])
