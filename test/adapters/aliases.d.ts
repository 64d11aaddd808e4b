// The older majors are installed under npm aliases for the tests; their types are the
// current majors' (the adapters only use what both share). `import = require` is the only
// way to re-export an `export =` module from an ambient declaration.
/* eslint-disable @typescript-eslint/no-require-imports */
declare module "express4" {
  import express = require("express");
  export = express;
}
declare module "koa2" {
  import Koa = require("koa");
  export = Koa;
}
declare module "fastify4" {
  import fastify = require("fastify");
  export = fastify;
}
