// hansa-client — JavaScript client of hansa chains (README.md in this folder).
export * from "./bytes.js";
export * from "./crypto.js";
export * from "./address.js";
export * from "./tx.js";
export * from "./bodies.js";
export * from "./merkle.js";
export * from "./verify.js";
export * from "./rpc.js";
export * from "./keyfile.js";
