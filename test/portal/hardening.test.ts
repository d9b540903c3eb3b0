/**
 * Security hardening of the portal handler (issue 16): each block is one weakness found by the
 * attack on the portal, with the hostile inputs that exploited it.
 */
import { describe, expect, it } from 'vitest';
import { identityFromClaims, parseGroups } from '../../functions/portal/identity.ts';

describe('group claims: only an array or API Gateway’s "[a b]" form', () => {
  const analyst = { identity: { sub: 'abc', role: 'analyst', urns: [] } };

  it.each([
    ['a group named x,la-analyst (array)', ['x,la-analyst']],
    ['a group named x,la-analyst (API Gateway form)', '[x,la-analyst]'],
    ['a group named x,la-analyst beside a school (API Gateway form)', '[urn-100001 x,la-analyst]'],
    ['a group named "la-analyst" (array)', ['"la-analyst"']],
    ['a group named "la-analyst" (API Gateway form)', '["la-analyst"]'],
    ['a group named "la-analyst" beside a school (API Gateway form)', '[urn-100001 "la-analyst"]'],
    ['a JSON array inside a string', '["urn-100001","la-analyst"]'],
    ['a comma-separated string', 'urn-100001,la-analyst'],
    ['a bare string', 'la-analyst'],
    ['a group named la-analyst] (API Gateway form)', '[urn-100001 la-analyst]]'],
    ['a group named [la-analyst (API Gateway form)', '[[la-analyst urn-100001]'],
    ['an object', { 0: 'la-analyst' }],
  ])('never makes an analyst of %s', (_name, groups) => {
    const who = identityFromClaims({ sub: 'abc', 'cognito:groups': groups });
    expect(who).not.toEqual(analyst);
    if ('identity' in who) expect(who.identity.role).toBe('head');
  });

  it('reads the two forms the portal really receives', () => {
    expect(parseGroups(['urn-100001', 'la-analyst'])).toEqual(['urn-100001', 'la-analyst']);
    expect(parseGroups('[urn-100002 urn-100001]')).toEqual(['urn-100002', 'urn-100001']);
    expect(parseGroups('[la-analyst]')).toEqual(['la-analyst']);
    expect(identityFromClaims({ sub: 'abc', 'cognito:groups': '[urn-100001 la-analyst]' })).toEqual(analyst);
    expect(identityFromClaims({ sub: 'abc', 'cognito:groups': ['la-analyst'] })).toEqual(analyst);
  });

  it('reads nothing from any other form', () => {
    for (const v of ['urn-100001', 'urn-100001,urn-100002', '[]', '', '[ ]', 42, null, undefined, [1, 2]]) {
      expect(parseGroups(v), JSON.stringify(v)).toEqual([]);
    }
    // a hostile name stays one opaque group name, never split, unquoted or JSON-parsed
    expect(parseGroups('["urn-100001"]')).toEqual(['"urn-100001"']);
    expect(parseGroups('[x,la-analyst "la-analyst"]')).toEqual(['x,la-analyst', '"la-analyst"']);
  });
});
