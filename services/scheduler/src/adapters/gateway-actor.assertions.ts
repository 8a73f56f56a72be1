import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { HeaderSource } from '@baton/aggregate';
import { ACTOR_ASSERTION_HEADER, ActorAssertionClaims, BatonError, type Actor, type CommandEnvelope } from '@baton/contracts';
import type { ActorCheck } from '../app/actor-check';

const forbidden = (message: string, details?: unknown) => new BatonError('FORBIDDEN', message, details);

/**
 * Takes a person from the gateway's signed `Baton-Actor` header (BATON_ACTOR_KEYS_FILE: the
 * gateway's public JWKS). The assertion must verify, be unexpired, and name this command's id and
 * subject, so one cannot be replayed on another command. A command whose envelope claims a person
 * without one is refused (FORBIDDEN); agents and services keep their envelope actor.
 */
export class GatewayActorAssertions implements ActorCheck {
  private constructor(private readonly keys: JWTVerifyGetKey) {}

  static async fromFile(file: string): Promise<GatewayActorAssertions> {
    return new GatewayActorAssertions(createLocalJWKSet(JSON.parse(await readFile(file, 'utf8')) as JSONWebKeySet));
  }

  async actorOf(command: CommandEnvelope<unknown>, headers: HeaderSource, subject: string): Promise<Actor | undefined> {
    const token = headers.getHeader(ACTOR_ASSERTION_HEADER);
    if (token === undefined) {
      if (command.actor?.kind === 'human') throw forbidden(`${command.actor.id} is a person: a person's commands come through the gateway, which signs who they are (${ACTOR_ASSERTION_HEADER})`, { actor: command.actor });
      return command.actor;
    }
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, this.keys, { algorithms: ['EdDSA'], requiredClaims: ['exp', 'sub'] }));
    } catch (err) {
      throw forbidden(`the ${ACTOR_ASSERTION_HEADER} assertion does not verify (${(err as { code?: string }).code ?? 'invalid'})`);
    }
    const claims = ActorAssertionClaims.safeParse(payload);
    if (!claims.success || claims.data.cid !== command.commandId || claims.data.sbj !== subject) {
      throw forbidden(`the ${ACTOR_ASSERTION_HEADER} assertion was made for another command`);
    }
    return { kind: claims.data.act, id: claims.data.sub };
  }
}
