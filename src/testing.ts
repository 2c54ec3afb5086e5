/**
 * `triplex/testing`: what a user's own test suite needs to prove its protection works —
 * run a seeded fault-injection campaign and assert on it.
 */
export { campaign, expectProtected, ProtectionError, type ProtectionExpectation, type CampaignOptions, type CampaignResult } from './campaign/index.js';
export { FaultInjector } from './inject/injector.js';
