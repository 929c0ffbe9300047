// TOTP (RFC 6238: SHA-1, 6 digits, 30-second steps, as authenticator apps expect) and the QR
// code that carries it to a phone. The only file that imports otplib and qrcode (DESIGN.md §10).
import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';

export const TOTP_PERIOD_SECONDS = 30;
const ISSUER = 'PlanTRAK';

export const newTotpSecret = (): string => generateSecret({ length: 20 });

export const isTotpCodeShaped = (code: string): boolean => /^\d{6}$/.test(code);

/**
 * The time-step at which `code` is valid (now, one step before or one after), or undefined.
 * Steps at or before `afterStep` are refused, so an accepted code cannot be used again.
 */
export async function acceptedTotpStep(secret: string, code: string, afterStep: number | null): Promise<number | undefined> {
  if (!isTotpCodeShaped(code)) return undefined;
  // A spent step ahead of this clock (another server's clock ran ahead, or this one was set
  // back) makes otplib throw; no step it would accept is later, so the code is refused.
  const latest = Math.floor(Date.now() / 1000 / TOTP_PERIOD_SECONDS) + 1;
  if (afterStep != null && afterStep >= latest) return undefined;
  const result = await verify({
    secret,
    token: code,
    period: TOTP_PERIOD_SECONDS,
    epochTolerance: TOTP_PERIOD_SECONDS,
    ...(afterStep == null ? {} : { afterTimeStep: afterStep }),
  });
  // The functional API's result type covers HOTP too; a TOTP match carries its time-step.
  return result.valid && 'timeStep' in result ? result.timeStep : undefined;
}

/** The otpauth:// URI an authenticator app scans. */
export const totpUri = (secret: string, accountName: string): string => generateURI({ issuer: ISSUER, label: accountName, secret, period: TOTP_PERIOD_SECONDS });

/** The URI as an SVG QR code in a data: URL (the CSP allows data: images, nothing inline else). */
export async function qrCodeDataUrl(text: string): Promise<string> {
  const svg = await QRCode.toString(text, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' });
  return `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`;
}

/** The secret in groups of four, easier to type into an app by hand. */
export const groupedSecret = (secret: string): string => secret.replace(/(.{4})(?=.)/g, '$1 ');
