/**
 * A replay of a few real seconds, for the lab's end-to-end tests: 25 scenario minutes at 240x =
 * 6.25 s. The record's TTL is 1 s on the wire and connections live 0.25 s, so the baseline keeps
 * its addresses at most 1.25 s of the 4 s empty window: its reads fail for most of it, whatever the
 * timing of the machine.
 */
export const shortReplayScenarioYaml = `
name: short replay
speed: 240
seed: 7
region: { zone: amazonaws.com, endpoint: dynamodb.us-east-1.amazonaws.com, addresses: [127.0.0.2, 127.0.0.3], ttl: 4m, negative_ttl: 4m }
table: { concurrency: 4, queue: 16, service_time_ms: 2, connection_max_age: 1m, items: 100 }
load: { rate: 40, timeout_ms: 2000, read_share: 0.9 }
bucket: 1m
phases:
  - { kind: steady, duration: 2m }
  - { kind: race, duration: 1m }
  - { kind: empty, duration: 16m }
  - { kind: restore, duration: 4m }
  - { kind: steady, duration: 2m }
`;
