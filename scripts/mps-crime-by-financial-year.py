#!/usr/bin/env python3
"""Totals the Metropolitan Police recorded-crime counts by LCPF borough and financial year.

Reads the London Datastore "MPS Borough Level Crime" files (wide format: MajorText, MinorText,
LookUp_BoroughName, then one column per month YYYYMM) and writes
data/mps-recorded-crime-by-financial-year.csv with one row per borough (ONS code, name) and
one column per complete financial year (April to March). The airports row group and the City
of London are left out: neither is an LCPF borough.

Usage: scripts/mps-crime-by-financial-year.py SOURCE_DIR > data/mps-recorded-crime-by-financial-year.csv
"""
import csv
import glob
import sys
from collections import defaultdict

source = sys.argv[1]
boroughs = {}
with open("data/london-boroughs.csv") as f:
    for row in csv.DictReader(f):
        if row["in_lcpf"] == "yes":
            boroughs[row["name"]] = row["ons_code"]

totals = defaultdict(lambda: defaultdict(int))
months = defaultdict(set)
for path in sorted(glob.glob(f"{source}/*.csv")):
    with open(path) as f:
        reader = csv.reader(f)
        header = next(reader)
        for row in reader:
            name = row[2]
            if name not in boroughs:
                continue
            for col, value in zip(header[3:], row[3:]):
                year, month = int(col[:4]), int(col[4:])
                fy = year if month >= 4 else year - 1
                totals[name][fy] += int(value or 0)
                months[fy].add(col)

years = sorted(fy for fy, ms in months.items() if len(ms) == 12)
out = csv.writer(sys.stdout, lineterminator="\n")
out.writerow(["area", "name"] + [f"{fy}/{(fy + 1) % 100:02d}" for fy in years])
for name, code in sorted(boroughs.items(), key=lambda kv: kv[1]):
    out.writerow([code, name] + [totals[name][fy] for fy in years])
