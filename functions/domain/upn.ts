/**
 * Unique Pupil Number (UPN) check letter, as specified by the DfE ("Unique Pupil Numbers (UPN):
 * a guide for schools and local authorities").
 *
 * A UPN has 13 characters:
 *   1      check letter
 *   2-4    LA number of the allocating local authority
 *   5-8    DfE establishment number of the allocating school
 *   9-10   last two digits of the year of allocation
 *   11-12  serial number
 *   13     serial number digit, or a letter for a temporary UPN
 *
 * Check letter rule: take characters 2..13, multiply each character's value by its position
 * (character 2 by 2, character 3 by 3, ..., character 13 by 13) and add the products; the
 * remainder of the sum divided by 23 indexes the 23-letter alphabet ABCDEFGHJKLMNPQRTUVWXYZ
 * (no I, O or S; 0 = A ... 22 = Z). A digit's value is the digit itself; a letter in position 13
 * (temporary UPN) has the value of its index in that same alphabet (A = 0 ... Z = 22).
 *
 * Worked example: rest "123456789012" -> 1*2 + 2*3 + 3*4 + 4*5 + 5*6 + 6*7 + 7*8 + 8*9 + 9*10
 * + 0*11 + 1*12 + 2*13 = 368 = 16*23 + 0 -> "A", so "A123456789012" is valid.
 */

export const UPN_ALPHABET = 'ABCDEFGHJKLMNPQRTUVWXYZ';

const REST_PATTERN = /^\d{11}[0-9ABCDEFGHJKLMNPQRTUVWXYZ]$/;
const UPN_PATTERN = /^[ABCDEFGHJKLMNPQRTUVWXYZ]\d{11}[0-9ABCDEFGHJKLMNPQRTUVWXYZ]$/;

/**
 * Check letter for the 12 characters after it (characters 2..13 of the UPN: 11 digits, then a
 * digit or a letter of the UPN alphabet). Throws on anything else.
 */
export function upnCheckLetter(rest: string): string {
  if (!REST_PATTERN.test(rest)) {
    throw new Error(`upnCheckLetter: expected 11 digits and a digit or letter, got "${rest}"`);
  }
  let sum = 0;
  for (let i = 0; i < 12; i++) {
    const ch = rest.charCodeAt(i);
    const value = ch >= 48 && ch <= 57 ? ch - 48 : UPN_ALPHABET.indexOf(rest[i]!);
    sum += value * (i + 2);
  }
  return UPN_ALPHABET[sum % 23]!;
}

/**
 * True when `upn` is a well-formed UPN whose check letter is right. Surrounding whitespace and
 * lower case are tolerated (census extracts are not always tidy); anything else is not.
 */
export function isValidUpn(upn: string): boolean {
  const u = upn.trim().toUpperCase();
  if (!UPN_PATTERN.test(u)) return false;
  return upnCheckLetter(u.slice(1)) === u[0];
}
