// The `env` of `cloudflare:test`: the Worker's bindings plus the migrations the setup file applies.
declare namespace Cloudflare {
  type EdgeEnv = import('../env.ts').Env;
  interface Env extends EdgeEnv {
    TEST_MIGRATIONS: import('cloudflare:test').D1Migration[];
  }
}
