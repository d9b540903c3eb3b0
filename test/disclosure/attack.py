# The disclosure attack: bound every protected count of each head's profile document by integer
# programming (scipy.optimize.milp, HiGHS), using only what the document shows and the identities
# docs/disclosure.md documents. Run by test/disclosure-attack.test.ts through the Python oracle,
# with `inp` = {"docs": [document JSON...], "truth": [{key: exact count}...]}; `truth` is used only
# to score the attack afterwards (which hidden counts were protected, and was the truth feasible).
#
# What the attacker may use, per document (docs/disclosure.md, "What a document says"):
#   - each shown count stands for a range: 0 for 0; "c" for 1..T-1 (0..T-1 when the count is part
#     of a total shown as c, or listed in disclosure.cIncludesZero); a number v rounded to a base b
#     (disclosure.roundingBase, or coarseBase for counts in disclosure.roundedCoarse) for
#     ceil(v - b/2)..ceil(v + b/2) - 1, and for the smallest such number down to T;
#   - the identities: pupils = classified + unclassified = fsm + (not fsm) = IMD deciles + unknown;
#     classified = matched + sector = the supergroups; matched = exact + terminated;
#     unclassified = unmatched + invalid; every segment = the segments whose `parent` it is;
#     the map's: matched = its distance rings + not placed; a ring = the squares listed in it.
#   - every percentage, index and interval is worked out from the shown counts (the attack checks
#     this in the test and so adds nothing for them); figures about other schools are functions of
#     their shown counts (checked by the non-interference test).
# A protected count (shown as c with a true value 1..T-1, or "not eligible for FSM" of 1..T-1) is
# recovered when its lowest and highest feasible values coincide.
import math
from scipy.optimize import milp, LinearConstraint, Bounds
from scipy.sparse import coo_matrix

BIG = 10**7


def cell_key(key):
    # The disclosure lists name a map square by its grid key (map:cell:level:ix:iy); the document's
    # squares carry their corner and side, so the attack names them map:cell:x:y:size.
    parts = key.split(':')
    if parts[:2] == ['map', 'cell'] and len(parts) == 5:
        level, ix, iy = (int(v) for v in parts[2:])
        size = 500 * 2 ** level
        return 'map:cell:%d:%d:%d' % (ix * size, iy * size, size)
    return key


def model(doc):
    T = doc['threshold']
    dis = doc['disclosure']
    coarse = set(map(cell_key, dis['roundedCoarse']))
    zero_ok = set(map(cell_key, dis.get('cIncludesZero', [])))
    k = doc['keyFacts']
    shown = {
        'pupils': k['pupils'], 'classified': k['classified'], 'unclassified': k['unclassified'],
        'matched': k['matched'], 'fsm': k['fsm'],
    }
    for m in doc['matchStatus']:
        shown[m['status']] = m['n']
    for r in doc['imd']:
        shown['imd:%d' % r['decile']] = r['n']
    shown['imd:unknown'] = doc['imdUnknown']['n']
    lines = [
        ('pupils', ['classified', 'unclassified']),
        ('classified', ['matched', 'sector']),
        ('matched', ['exact', 'terminated']),
        ('unclassified', ['unmatched', 'invalid']),
        ('pupils', ['fsm', 'notFsm']),
        ('pupils', ['imd:%d' % d for d in range(1, 11)] + ['imd:unknown']),
    ]
    children = {}
    for level in ('supergroup', 'group', 'subgroup'):
        for r in doc['segments'][level]:
            key = '%s:%s' % (level, r['code'])
            shown[key] = r['n']
            parent = 'classified' if level == 'supergroup' else ('supergroup:' if level == 'group' else 'group:') + r['parent']
            children.setdefault(parent, []).append(key)
    lines += [(t, ps) for t, ps in children.items()]
    # The map (functions/maps/school-map.ts): matched = rings + not placed; a ring shown as a number
    # = its squares, each listed only when it holds a pupil (so a square shown as c is 1..T-1).
    m = doc.get('map')
    if m:
        rings = []
        for k, r in enumerate(m['rings']):
            shown['map:ring:%d' % k] = r['n']
            rings.append('map:ring:%d' % k)
        shown['map:unmapped'] = m['unmapped']['n']
        lines.append(('matched', rings + ['map:unmapped']))
        for k in range(len(m['rings'])):
            cells = []
            for c in m['cells']:
                if c['ring'] != k:
                    continue
                key = 'map:cell:%d:%d:%d' % (c['x'], c['y'], c['size'])
                shown[key] = c['n']
                cells.append(key)
            if cells:
                lines.append(('map:ring:%d' % k, cells))
    under_c = set()
    for t, ps in lines:
        if shown.get(t) == 'c':
            under_c.update(ps)
    keys = list(shown) + ['notFsm']
    lo, hi, hidden = [], [], set(k for k, v in shown.items() if v == 'c')
    for key in keys:
        if key == 'notFsm':
            lo.append(0); hi.append(BIG); continue
        v = shown[key]
        if v == 'c':
            lo.append(0 if (key in under_c or key in zero_ok) else 1); hi.append(T - 1)
        elif v == 0:
            lo.append(0); hi.append(0)
        else:
            b = dis['coarseBase'] if key in coarse else dis['roundingBase']
            smallest = math.ceil(T / b) * b
            lo.append(T if v == smallest else math.ceil(v - b / 2)); hi.append(math.ceil(v + b / 2) - 1)
    return keys, lines, lo, hi, hidden


def attack(docs, truth):
    T = docs[0]['threshold'] if docs else 5
    blocks, offs, rows, cols, vals = [], [], [], [], []
    LO, HI, r0, off = [], [], 0, 0
    for d in docs:
        keys, lines, lo, hi, hidden = model(d)
        idx = {key: off + i for i, key in enumerate(keys)}
        for t, ps in lines:
            rows.append(r0); cols.append(idx[t]); vals.append(1.0)
            for p in ps:
                rows.append(r0); cols.append(idx[p]); vals.append(-1.0)
            r0 += 1
        blocks.append((keys, idx, hidden)); offs.append(off); off += len(keys)
        LO += lo; HI += hi
    A = coo_matrix((vals, (rows, cols)), shape=(r0, off)).tocsr()
    cons = [LinearConstraint(A, 0, 0)]
    bounds = Bounds(LO, HI)
    integ = [1] * off

    # The truth must satisfy what the attacker assumes, or the attack is wrong, not the design.
    x_true = [0.0] * off
    infeasible = []
    for (keys, idx, _), t in zip(blocks, truth):
        for key in keys:
            x_true[idx[key]] = t[key]
    for di, ((keys, idx, _), t) in enumerate(zip(blocks, truth)):
        for key in keys:
            i = idx[key]
            if not (LO[i] <= x_true[i] <= HI[i]):
                infeasible.append([docs[di]['school']['urn'], key, t[key], LO[i], HI[i]])
    import numpy as np
    resid = A @ np.array(x_true)
    bad_rows = int(np.sum(np.abs(resid) > 0.5))

    # Protected counts: shown c with a true value 1..T-1, and small "not FSM".
    targets = []  # (doc index, key, true value)
    for di, ((keys, idx, hidden), t) in enumerate(zip(blocks, truth)):
        for key in keys:
            v = t[key]
            if (key in hidden or key == 'notFsm') and 1 <= v <= T - 1:
                targets.append((di, key, v))
    lo_seen = {}; hi_seen = {}
    def note(x):
        for di, key, v in targets:
            val = round(x[blocks[di][1][key]])
            lo_seen[(di, key)] = min(lo_seen.get((di, key), val), val)
            hi_seen[(di, key)] = max(hi_seen.get((di, key), val), val)
    for t in targets:
        lo_seen[(t[0], t[1])] = t[2]; hi_seen[(t[0], t[1])] = t[2]
    solves = 0
    # Two cheap rounds first: push every protected count down, then up. A count that takes two
    # values in feasible tables is not recovered; only the rest need their own bounds.
    for sign in (1, -1):
        c = np.zeros(off)
        for di, key, v in targets:
            c[blocks[di][1][key]] = sign
        res = milp(c, constraints=cons, integrality=integ, bounds=bounds); solves += 1
        note(res.x)
    open_ = [t for t in targets if lo_seen[(t[0], t[1])] == hi_seen[(t[0], t[1])]]
    # Then one count per document per round (all documents in one block-diagonal problem).
    by_doc = {}
    for t in open_:
        by_doc.setdefault(t[0], []).append(t)
    rounds = max((len(v) for v in by_doc.values()), default=0)
    exact_min, exact_max = {}, {}
    for r in range(rounds):
        batch = [v[r] for v in by_doc.values() if r < len(v)]
        for sign in (1, -1):
            c = np.zeros(off)
            for di, key, v in batch:
                c[blocks[di][1][key]] = sign
            res = milp(c, constraints=cons, integrality=integ, bounds=bounds); solves += 1
            for di, key, v in batch:
                val = round(res.x[blocks[di][1][key]])
                (exact_min if sign == 1 else exact_max)[(di, key)] = val
    recovered = []
    for di, key, v in open_:
        if exact_min[(di, key)] == exact_max[(di, key)]:
            recovered.append([docs[di]['school']['urn'], key, v])
    docs_hit = sorted({r[0] for r in recovered})
    return {
        'documents': len(docs), 'protected': len(targets), 'recovered': recovered,
        'documentsWithRecovery': len(docs_hit), 'solves': solves,
        'protectedMap': sum(1 for t in targets if t[1].startswith('map:')),
        'recoveredMap': sum(1 for r in recovered if r[1].startswith('map:')),
        'truthOutsideRanges': infeasible[:20], 'truthOutsideRangesCount': len(infeasible), 'identitiesBrokenByTruth': bad_rows,
    }


out = attack(inp['docs'], inp['truth'])
