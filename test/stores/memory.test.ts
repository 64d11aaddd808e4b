import { memoryKeyStore } from "../../src/stores/memory.js";
import { keyStoreConformance } from "../../src/testing/index.js";

keyStoreConformance(() => memoryKeyStore(), { name: "memoryKeyStore conformance" });
