#!/usr/bin/env python3
"""Builds functions/common/assets/passwords/common-fr.txt, the list of common
French passwords the signup refuses beyond zxcvbn's English dictionaries.

Source: Richelieu, the most common passwords of ".fr" addresses in public
breaches, top 20,000 (https://github.com/tarraschk/richelieu, by Maxime
Alay-Eddine and Paul Barbaste, licensed CC BY 4.0). Each entry is lowercased
and stripped of trailing digits and symbols (« marseille13 » → « marseille »),
the way `Password::parse` reduces a password before looking it up; only bases
of 6 characters or more are kept (shorter ones cannot make a 12-character
password without a long, less predictable remainder).

Usage: common-passwords.py <path of french_passwords_top20000.txt>
"""
import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[2] / "functions/common/assets/passwords/common-fr.txt"
TRAILING = re.compile(r"[0-9!?.*_@#$-]+$")


def base(password: str) -> str:
    return TRAILING.sub("", password.strip().lower())


def main() -> None:
    source = Path(sys.argv[1]).read_text(encoding="utf-8", errors="replace")
    bases = sorted({b for b in map(base, source.splitlines()) if len(b) >= 6 and b.isprintable()})
    header = [
        "# Common French passwords, reduced to their base (lowercase, no trailing",
        "# digits or symbols). Derived by infra/scripts/common-passwords.py from",
        "# Richelieu's top 20,000 (https://github.com/tarraschk/richelieu,",
        "# Maxime Alay-Eddine and Paul Barbaste), licensed CC BY 4.0.",
    ]
    OUT.write_text("\n".join(header + bases) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(bases)} bases")


if __name__ == "__main__":
    main()
