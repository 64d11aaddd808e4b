/**
 * Runs once, before any test file: builds dist/ when it is missing or older than the
 * sources. The CLI, demo, browser and example tests run the built package as users do; with
 * the build done here first, no two test files can build (and so delete) dist/ under each
 * other's feet, and a fresh clone tests the examples instead of skipping them.
 */
import { ensureBuild } from "./e2e/ensure-build.js";

export default async function setup(): Promise<void> {
  await ensureBuild();
}
