"""The demo data set's catalogue: maintenance, repair and operations (MRO) supplies.

One product line per row: ``category;prefix;name;unit;base cost;issue lot;cost step;variants``.
The name has a ``{}`` for the variant; each variant costs ``step`` more than the one before
(sizes cost more, colours do not); the lot is the usual quantity per issue line.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from inventory.domain import numbers as n

FRACTIONAL_UNITS = frozenset({"m", "l", "kg"})

PRODUCT_LINES = """
hardware;HW;Hex bolt {} x 40 zinc-plated;pcs;0.09;50;0.25;M5|M6|M8|M10|M12|M16
hardware;HW;Hex bolt {} x 40 stainless A2;pcs;0.21;25;0.25;M5|M6|M8|M10|M12|M16
hardware;HW;Hex nut {} zinc-plated;pcs;0.03;100;0.25;M5|M6|M8|M10|M12|M16
hardware;HW;Hex nut {} stainless A2;pcs;0.07;50;0.25;M5|M6|M8|M10|M12|M16
hardware;HW;Flat washer {} zinc-plated;pcs;0.02;100;0.25;M5|M6|M8|M10|M12|M16
hardware;HW;Spring washer {};pcs;0.03;100;0.25;M5|M6|M8|M10|M12|M16
hardware;HW;Wood screw {} (box of 200);box;5.40;1;0.25;3.5x30|4x40|5x50|6x80
hardware;HW;Wall anchor {} (pack of 50);pack;3.90;1;0.25;6 mm|8 mm|10 mm|12 mm
hardware;HW;Threaded rod {} x 1 m;pcs;1.60;5;0.25;M6|M8|M10|M12
hardware;HW;Steel hinge {};pcs;2.80;4;0.25;60 mm|75 mm|100 mm
hardware;HW;Socket cap screw {} x 25 DIN 912;pcs;0.14;25;0.25;M4|M5|M6|M8|M10|M12
hardware;HW;Nylon insert lock nut {};pcs;0.06;50;0.25;M5|M6|M8|M10|M12
hardware;HW;Blind rivet {} aluminium (box of 500);box;8.60;1;0.20;3.2x8|4x10|4.8x12
electrical;EL;Installation cable NYM-J {};m;0.62;25;0.25;3x1.5|3x2.5|5x1.5|5x2.5|5x4|5x6
electrical;EL;Flexible cable H07RN-F {};m;1.35;10;0.25;3G1.5|3G2.5|5G2.5|5G4
electrical;EL;Cable tie {} (pack of 100);pack;1.90;2;0.25;2.5x100|3.6x200|4.8x300|7.6x450
electrical;EL;Circuit breaker {};pcs;4.60;2;0.10;B6|B10|B16|B20|C10|C16|C20|C32
electrical;EL;Lever connector {} (box of 50);box;8.90;1;0.25;2-way|3-way|5-way
electrical;EL;LED tube T8 {};pcs;4.80;4;0.25;60 cm|120 cm|150 cm
electrical;EL;Cartridge fuse {} (pack of 10);pack;2.70;1;0.05;2 A|4 A|6 A|10 A|16 A|25 A
electrical;EL;Junction box {};pcs;1.70;3;0.25;IP44 small|IP55 medium|IP65 large|IP67 large
electrical;EL;Heat-shrink tubing {} (1 m);pcs;0.55;10;0.25;3.2 mm|6.4 mm|9.5 mm|12.7 mm|19 mm
electrical;EL;Cable gland {};pcs;0.70;5;0.25;M12|M16|M20|M25|M32
electrical;EL;Wire ferrule {} (pack of 500);pack;3.10;1;0.15;0.75 mm2|1.5 mm2|2.5 mm2|4 mm2
electrical;EL;Contactor {};pcs;18.50;1;0.20;9 A|12 A|18 A|25 A
electrical;EL;Extension lead {};pcs;12.90;1;0.30;5 m|10 m|25 m
safety;SF;Nitrile gloves size {} (box of 100);box;7.20;2;0;S|M|L|XL
safety;SF;Cut-resistant gloves level C size {};pair;4.30;6;0;7|8|9|10|11
safety;SF;Winter work gloves size {};pair;5.10;4;0;8|9|10|11
safety;SF;Safety helmet {};pcs;10.80;1;0;white|yellow|blue|red|green
safety;SF;Safety glasses {};pcs;2.90;5;0.15;clear|tinted|anti-fog|over-spec
safety;SF;Hi-vis vest size {};pcs;2.60;3;0;M|L|XL|XXL|3XL
safety;SF;Ear plugs {} (box of 200);box;21.50;1;0.25;foam|corded|detectable
safety;SF;FFP2 respirator {} (box of 20);box;9.40;1;0.25;unvalved|valved
safety;SF;Safety shoes S3 size {};pair;46.00;1;0;39|40|41|42|43|44|45|46|47
safety;SF;Chemical apron {};pcs;6.90;1;0.30;PVC|neoprene
safety;SF;Disposable coverall size {};pcs;3.80;4;0;M|L|XL|XXL
safety;SF;Face shield {};pcs;7.50;1;0.20;clear|mesh
safety;SF;First aid kit refill {};pcs;14.00;1;0.30;small|medium|large
safety;SF;Eye wash bottle {};pcs;6.20;1;0.40;250 ml|500 ml
packaging;PK;Stretch film {} 500 mm;roll;7.90;6;0.12;17 um|20 um|23 um
packaging;PK;Corrugated box {} mm;pcs;0.58;40;0.25;200x150x100|300x200x150|400x300x200|600x400x400
packaging;PK;Packing tape {} 50 mm;roll;1.30;12;0.08;brown|clear|white|printed FRAGILE
packaging;PK;Euro pallet {};pcs;13.50;8;-0.30;new|used grade A
packaging;PK;Bubble wrap {} x 100 m;roll;18.20;1;0.25;50 cm|100 cm|150 cm
packaging;PK;Shipping label {} mm (roll of 500);roll;10.40;2;0.25;100x50|100x100|100x150
packaging;PK;Void fill paper {};kg;1.85;15;0;kraft|recycled
packaging;PK;Pallet strapping {};roll;24.00;1;0.40;PP 12 mm|PET 16 mm
packaging;PK;Mailer bag {} (pack of 100);pack;6.80;2;0.25;C5|C4|B4|A3
packaging;PK;Edge protector {} mm;pcs;0.32;50;0.25;35x35x800|50x50x1000|50x50x1200
packaging;PK;Stretch hood {};pcs;1.20;10;0;1200x800|1200x1000
packaging;PK;Adhesive label {} mm (roll of 1000);roll;7.40;2;0.10;38x25|50x30|70x40|102x76
packaging;PK;Foam sheet {} (roll of 50 m);roll;15.60;1;0.30;2 mm|3 mm|5 mm
cleaning;CL;All-purpose cleaner {};l;2.10;10;0.05;concentrate|citrus|unscented
cleaning;CL;Degreaser {};l;3.40;5;0.35;water-based|solvent
cleaning;CL;Paper towel {};roll;1.05;24;0.20;2-ply|industrial blue|centrefeed
cleaning;CL;Absorbent granules {};kg;0.90;20;0.30;universal|oil-only
cleaning;CL;Waste bags {} (roll of 25);roll;2.80;4;0.25;60 l|120 l|240 l
cleaning;CL;Mop head {};pcs;3.90;2;0.40;cotton|microfibre
cleaning;CL;Hand soap {};l;2.60;5;0.20;foaming|heavy-duty|sensitive
cleaning;CL;Floor cleaner {};l;2.40;10;0.15;neutral|alkaline|disinfecting
cleaning;CL;Disinfectant wipes {} (tub of 100);pcs;4.90;6;0.25;alcohol|quaternary
cleaning;CL;Microfibre cloth {} (pack of 10);pack;6.50;2;0;blue|red|green|yellow
plumbing;PL;PVC pipe {};m;1.40;6;0.25;32 mm|40 mm|50 mm|75 mm|110 mm
plumbing;PL;PVC elbow 90 deg {};pcs;0.80;6;0.25;32 mm|40 mm|50 mm|75 mm|110 mm
plumbing;PL;PVC tee {};pcs;1.10;4;0.25;32 mm|40 mm|50 mm|110 mm
plumbing;PL;Brass ball valve {};pcs;6.90;1;0.45;1/2 in|3/4 in|1 in|1 1/4 in
plumbing;PL;Hose clamp {} (pack of 10);pack;3.20;1;0.25;8-12 mm|12-22 mm|20-32 mm|32-50 mm
plumbing;PL;PTFE tape {};roll;0.55;10;0.25;12 mm|19 mm
plumbing;PL;Copper pipe {};m;6.20;3;0.45;15 mm|22 mm|28 mm
plumbing;PL;Compression fitting {};pcs;2.10;4;0.30;15 mm|22 mm|28 mm
plumbing;PL;Flexible hose {};pcs;4.40;2;0.20;300 mm|500 mm|800 mm
plumbing;PL;Silicone sealant {};pcs;4.60;6;0;white|transparent|grey
plumbing;PL;PVC reducer {};pcs;1.30;3;0.25;40-32 mm|50-40 mm|110-75 mm
maintenance;MT;Multipurpose grease {};kg;6.40;2;0.35;EP2 lithium|EP0 semi-fluid|food-grade H1
maintenance;MT;Hydraulic oil {};l;2.95;20;0.08;HLP 32|HLP 46|HLP 68
maintenance;MT;Gear oil {};l;4.10;10;0.08;CLP 150|CLP 220|CLP 320
maintenance;MT;Penetrating oil spray {};pcs;5.60;3;0.25;400 ml|500 ml
maintenance;MT;HSS drill bit {};pcs;0.95;5;0.30;3 mm|4 mm|5 mm|6 mm|8 mm|10 mm|12 mm
maintenance;MT;Cutting disc {};pcs;1.05;10;0.35;115 mm|125 mm|180 mm|230 mm
maintenance;MT;Abrasive paper grit {} (pack of 10);pack;3.40;2;0;60|80|120|180|240|320
maintenance;MT;V-belt {};pcs;7.80;1;0.15;SPZ 1000|SPZ 1250|SPA 1500|SPA 1800|SPB 2000
maintenance;MT;Deep groove ball bearing {};pcs;3.60;2;0.30;6202|6204|6205|6206|6305
maintenance;MT;Air filter element {};pcs;16.50;1;0.10;F7 592x592|G4 592x592|G4 287x592
maintenance;MT;Chain lubricant spray {};pcs;7.20;2;0.25;400 ml|500 ml
maintenance;MT;Hex key set {};pcs;9.80;1;0.40;metric|imperial
maintenance;MT;Screwdriver bit {} (pack of 10);pack;5.30;1;0;PH1|PH2|PZ2|T20|T25|T30
maintenance;MT;Roller chain {} (5 m);pcs;28.00;1;0.35;06B-1|08B-1|10B-1|12B-1
maintenance;MT;Hydraulic hose {};m;8.90;2;0.30;1/4 in|3/8 in|1/2 in
maintenance;MT;Battery {} (pack of 4);pack;4.20;3;0.15;AA|AAA|C|D
maintenance;MT;Thread sealant {};pcs;8.40;1;0.30;50 ml|250 ml
"""

# Demand multipliers by month (January first): gloves in winter, boxes before the holidays,
# spring cleaning; the other categories are flat.
SEASONS = {
    "safety": (1.3, 1.3, 1.1, 1.0, 0.9, 0.9, 0.9, 0.9, 1.0, 1.1, 1.2, 1.3),
    "packaging": (0.8, 0.8, 0.9, 0.9, 1.0, 1.0, 0.9, 0.9, 1.1, 1.3, 1.6, 1.7),
    "cleaning": (1.0, 1.0, 1.3, 1.4, 1.1, 1.0, 0.9, 0.9, 1.0, 1.0, 1.0, 1.0),
}
FLAT = (1.0,) * 12


@dataclass(frozen=True)
class ItemSpec:
    sku: str
    name: str
    category: str
    unit: str
    cost: Decimal
    lot: Decimal

    @property
    def fractional(self) -> bool:
        """Metres, litres and kilograms are issued in half units; the rest in whole ones."""
        return self.unit in FRACTIONAL_UNITS

    def season(self, month: int) -> float:
        return SEASONS.get(self.category, FLAT)[month - 1]


def _all_by_category() -> dict[str, list[ItemSpec]]:
    by_category: dict[str, list[ItemSpec]] = {}
    for row in PRODUCT_LINES.strip().splitlines():
        category, prefix, name, unit, cost, lot, step, variants = row.split(";")
        specs = by_category.setdefault(category, [])
        for j, variant in enumerate(variants.split("|")):
            price = Decimal(cost) * (1 + Decimal(step) * j)
            specs.append(
                ItemSpec(
                    sku=f"{prefix}-{len(specs) + 1:04d}",
                    name=name.format(variant),
                    category=category,
                    unit=unit,
                    cost=n.cost(max(price, Decimal("0.01"))),
                    lot=Decimal(lot),
                )
            )
    return by_category


def catalogue(count: int) -> list[ItemSpec]:
    """``count`` items, taken in turn from each category so a small set still spans them all."""
    queues = list(_all_by_category().values())
    available = sum(len(q) for q in queues)
    if not 1 <= count <= available:
        raise ValueError(f"The demo catalogue has {available} items; ask for 1 to {available}.")
    chosen: list[ItemSpec] = []
    while len(chosen) < count:
        for queue in queues:
            if queue and len(chosen) < count:
                chosen.append(queue.pop(0))
    return chosen


def catalogue_size() -> int:
    return sum(len(v) for v in _all_by_category().values())
