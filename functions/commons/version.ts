/** Code version recorded in every manifest: package version plus the build id when deployed. */
import pkg from '../../package.json' with { type: 'json' };

export const CODE_VERSION = `${pkg.version}${process.env.CATCHMENT_BUILD ? `+${process.env.CATCHMENT_BUILD}` : ''}`;
