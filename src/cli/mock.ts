import type { Command } from 'commander';
import type { Io } from './io.js';
import { addMockCrmCommand } from './mock-crm.js';
import { addMockWhatsAppCommand } from './mock-whatsapp.js';

/** `wacrm mock whatsapp|crm`: one mock on its own, for exploring or for a vendor's own setup. */
export function registerMockCommand(program: Command, io: Io): void {
  const mock = program.command('mock').description('start one mock server on its own (whatsapp or crm)');
  addMockWhatsAppCommand(mock, io);
  addMockCrmCommand(mock, io);
}
