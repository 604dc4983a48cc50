import { createHash, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { canonicalJson } from '@loopgate/shared';
import type { AuditCheckpoint } from './checkpoint-ports.js';

/** The operator's checkpoint key, as parsed once at start-up (LOOPGATE_AUDIT_SIGNING_KEY). */
export interface AuditSigner {
  privateKey: KeyObject;
  /** SPKI PEM: what an outsider needs to check a checkpoint. */
  publicKey: string;
  /** SHA-256 hex of the public key's SPKI DER. */
  keyId: string;
}

/** The public half of an Ed25519 private key, with its id; throws for any other kind of key. */
export function auditSignerOf(privateKey: KeyObject): AuditSigner {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
    throw new TypeError(`expected an Ed25519 private key, got ${privateKey.asymmetricKeyType ?? privateKey.type}`);
  }
  const publicKey = createPublicKey(privateKey);
  return {
    privateKey,
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: publicKeyId(publicKey),
  };
}

export function publicKeyId(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/**
 * Exactly the bytes a checkpoint's signature covers: the RFC 8785 canonical JSON of
 * {workspaceId, seq, hash, at}, UTF-8 (docs/governance.md shows how to check it with openssl).
 */
export function checkpointMessage(checkpoint: Pick<AuditCheckpoint, 'workspaceId' | 'seq' | 'hash' | 'at'>): Buffer {
  const { workspaceId, seq, hash, at } = checkpoint;
  return Buffer.from(canonicalJson({ workspaceId, seq, hash, at }), 'utf8');
}

export function signCheckpoint(
  signer: AuditSigner,
  head: Pick<AuditCheckpoint, 'workspaceId' | 'seq' | 'hash' | 'at'>,
): AuditCheckpoint {
  // Ed25519 hashes internally: node:crypto takes no digest name for it.
  const signature = sign(null, checkpointMessage(head), signer.privateKey).toString('base64');
  return { ...head, signature, keyId: signer.keyId, publicKey: signer.publicKey };
}

/**
 * Why a checkpoint's own signature does not hold, or null when it does: the public key it names must
 * be an Ed25519 key whose id is its `keyId`, and the signature must verify over its message.
 */
export function checkpointSignatureProblem(checkpoint: AuditCheckpoint): string | null {
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey(checkpoint.publicKey);
  } catch {
    return 'its public key is not a key';
  }
  if (publicKey.asymmetricKeyType !== 'ed25519') return 'its public key is not an Ed25519 key';
  if (publicKeyId(publicKey) !== checkpoint.keyId) return 'its key id is not the id of its public key';
  const signature = Buffer.from(checkpoint.signature, 'base64');
  if (signature.length !== 64 || !verify(null, checkpointMessage(checkpoint), publicKey, signature)) {
    return 'its signature does not verify: the checkpoint was changed or not signed by its key';
  }
  return null;
}
