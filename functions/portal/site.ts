/**
 * What the deployer says about their portal: the council's name, an optional logo (a file served
 * beside the page, so the page's CSP keeps img-src 'self'), who to contact, and the text of the
 * accessibility statement and privacy notice. The same settings reach the page (/config.json
 * `site`) and the server-rendered pages (pages.ts), locally (`catchment serve --site`) and on AWS
 * (the Portal construct's `site` prop, deployed into the web bucket).
 */
import { z } from 'zod';

/** Plain text with blank lines between paragraphs; rendered as text, never as HTML. */
const pageText = z.string().max(20_000);

export const portalSite = z
  .object({
    /** Shown in the masthead, titles and pages, e.g. "Kentish Vale County Council". */
    councilName: z.string().min(1).max(120),
    /** Name of the service in the masthead. */
    serviceName: z.string().min(1).max(80).default('School profiles'),
    /** Logo file name served beside the page (e.g. "logo.svg"); the masthead shows the name alone without one. */
    logo: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\.(svg|png)$/, 'logo must be a file name like logo.svg or logo.png')
      .optional(),
    /** Alternative text of the logo (the council's name by default). */
    logoAlt: z.string().max(200).optional(),
    contact: z
      .object({
        team: z.string().max(200).default('The local authority’s school information team'),
        email: z.email().optional(),
        phone: z.string().max(40).optional(),
        hours: z.string().max(200).optional(),
      })
      .default({ team: 'The local authority’s school information team' }),
    /** Accessibility statement; a statement naming the council and the portal's known limits by default. */
    accessibility: pageText.optional(),
    /** Privacy notice; a notice describing what the portal records by default. */
    privacy: pageText.optional(),
  })
  .strict();

export type PortalSiteInput = z.input<typeof portalSite>;
export type PortalSite = z.infer<typeof portalSite>;

export function siteOf(input: PortalSiteInput): PortalSite {
  return portalSite.parse(input);
}

export function defaultAccessibility(site: PortalSite): string {
  return [
    `This statement applies to the school profiles portal run by ${site.councilName}.`,
    'We want as many people as possible to be able to use it. You should be able to change colours, contrast levels and fonts using your browser or device settings, zoom in up to 400% without the text spilling off the screen, navigate the whole portal using just a keyboard or speech recognition software, and listen to it using a screen reader.',
    'How accessible the portal is: the pages meet the Web Content Accessibility Guidelines version 2.2 AA standard as far as we know. The profile PDFs are tagged documents with alternative text for every chart; some tables in them may be hard to read with a screen reader.',
    'If you need a profile in a different format, such as large print or an accessible spreadsheet, contact us (see the contact page). We will consider your request and get back to you within 10 working days.',
    'If you are not happy with how we respond to your complaint, contact the Equality Advisory and Support Service (EASS).',
  ].join('\n\n');
}

export function defaultPrivacy(site: PortalSite): string {
  return [
    `${site.councilName} is the data controller for this portal.`,
    'The profiles are produced from the school census. Pupils’ postcodes are used to work out the kinds of neighbourhood a school serves; no pupil, parent or carer is named in a profile, and numbers smaller than the disclosure threshold are not shown.',
    'When you use the portal we record who signed in, which documents you asked for and when, and whether the request was allowed. We keep this record to protect pupils’ data and to show that only the right people have seen each profile. We do not record your computer’s internet address unless the council has chosen to keep it for security investigations.',
    'If you give feedback on a profile we keep your rating and comment with your school and the date, so that the local authority can improve the profiles. Please do not name pupils or families in a comment.',
    'Your sign-in is kept in your browser’s memory only and ends when you sign out or close the page. A feedback draft you have not sent is kept in this browser tab until it is sent, so that it is not lost if your sign-in expires.',
    'You can ask to see what we hold about you, or ask us to correct or delete it: contact us (see the contact page).',
  ].join('\n\n');
}

/** What the page reads from /config.json `site`. */
export function siteForPage(site: PortalSite) {
  return {
    councilName: site.councilName,
    serviceName: site.serviceName,
    logo: site.logo ?? null,
    logoAlt: site.logoAlt ?? site.councilName,
    contact: site.contact,
  };
}
