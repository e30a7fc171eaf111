// An independent Standard Webhooks verifier, written with node's own crypto rather than the
// SDK's: HMAC-SHA256 `v1,` signatures (symmetric `whsec_` secrets) and ed25519 `v1a,`
// signatures (asymmetric `whsk_` secrets, verified with the endpoint's `whpk_` public key).
// It must not import the svix package: the point is to check hookd with code that shares
// nothing with the SDK under test.

import { createHmac, createPublicKey, generateKeyPairSync, sign, timingSafeEqual, verify } from "node:crypto";

// Standard Webhooks' tolerance between the signed timestamp and the receiver's clock.
const TOLERANCE_SECONDS = 5 * 60;

function signedContent(headers, body) {
  return Buffer.concat([
    Buffer.from(`${headers["webhook-id"]}.${headers["webhook-timestamp"]}.`),
    Buffer.from(body),
  ]);
}

function fresh(headers) {
  const ts = Number(headers["webhook-timestamp"]);
  return Number.isFinite(ts) && Math.abs(Date.now() / 1000 - ts) <= TOLERANCE_SECONDS;
}

function signatures(headers, version) {
  return String(headers["webhook-signature"] ?? "")
    .split(" ")
    .filter((s) => s.startsWith(`${version},`))
    .map((s) => Buffer.from(s.slice(version.length + 1), "base64"));
}

/** Verifies a delivery against a `whsec_` secret: `{ok, reason}`. */
export function verifyWebhook(secret, headers, body) {
  if (!headers["webhook-id"] || !fresh(headers)) return { ok: false, reason: "missing or stale headers" };
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(signedContent(headers, body)).digest();
  const ok = signatures(headers, "v1").some((s) => s.length === expected.length && timingSafeEqual(s, expected));
  return { ok, reason: ok ? "" : "no v1 signature matches" };
}

function publicKeyFromRaw(raw) {
  return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: raw.toString("base64url") }, format: "jwk" });
}

/** ed25519 (`v1a,`), per Standard Webhooks: verification with a `whpk_` public key. */
export const ed25519Verify = {
  /** Whether some `v1a,` signature of the delivery verifies with `whpk_…` `publicKey`. */
  webhook(publicKey, headers, body) {
    if (!headers["webhook-id"] || !fresh(headers)) return false;
    const key = publicKeyFromRaw(Buffer.from(publicKey.replace(/^whpk_/, ""), "base64"));
    return signatures(headers, "v1a").some((s) => verify(null, signedContent(headers, body), key, s));
  },

  /** A new `whsk_` secret: the 32-byte seed followed by the 32-byte public key, in base64
   * (the layout of an ed25519 key pair's bytes). */
  newSecret() {
    const { privateKey } = generateKeyPairSync("ed25519");
    const jwk = privateKey.export({ format: "jwk" });
    const bytes = Buffer.concat([Buffer.from(jwk.d, "base64url"), Buffer.from(jwk.x, "base64url")]);
    return `whsk_${bytes.toString("base64")}`;
  },

  /** Signs a delivery with a key pair of node's own and verifies it, tampered and not. */
  selfTest() {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const raw = Buffer.from(publicKey.export({ format: "jwk" }).x, "base64url");
    const headers = { "webhook-id": "msg_selftest", "webhook-timestamp": String(Math.floor(Date.now() / 1000)) };
    const body = Buffer.from('{"self":"test"}');
    const sig = sign(null, signedContent(headers, body), privateKey).toString("base64");
    const signed = { ...headers, "webhook-signature": `v1,bm90LWhtYWM= v1a,${sig}` };
    const pk = `whpk_${raw.toString("base64")}`;
    return this.webhook(pk, signed, body) && !this.webhook(pk, signed, Buffer.from('{"self":"tampered"}'));
  },
};
