import { z } from 'zod';

/** Risk levels, lowest first. Apart from task.ts so that schemas task.ts uses can name them without an import cycle. */
export const RISK_LEVELS = ['low', 'medium', 'high', 'critical'] as const;
export const riskLevelSchema = z.enum(RISK_LEVELS);
export type RiskLevel = z.infer<typeof riskLevelSchema>;
