"""``python -m sample_data``: write sample returns, or refresh the member label mappings seed.

python -m sample_data generate LANDING_DIR [--seed 2026] [--months 36] [--end 2026-09]
python -m sample_data mappings     # rewrite dbt_project/seeds/reference/member_label_mappings.csv
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sample_data.generation import generate_samples
from sample_data.profiles import MEMBER_LABEL_MAPPINGS_CSV, write_member_label_mappings


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m sample_data", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    generate = commands.add_parser("generate", help="write sample member files")
    generate.add_argument("landing_dir", type=Path)
    generate.add_argument("--seed", type=int, default=2026)
    generate.add_argument("--months", type=int, default=36)
    generate.add_argument("--end", dest="end_period", default="2026-09")
    generate.add_argument("--scale", type=int, default=1)
    commands.add_parser("mappings", help="rewrite the member label mappings seed")
    args = parser.parse_args(argv)
    if args.command == "mappings":
        changed = write_member_label_mappings()
        print(f"{'wrote' if changed else 'unchanged'} {MEMBER_LABEL_MAPPINGS_CSV}")
        return 0
    manifest = generate_samples(
        args.landing_dir,
        seed=args.seed,
        months=args.months,
        end_period=args.end_period,
        scale=args.scale,
    )
    print(f"wrote {len(manifest.files)} files into {args.landing_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
