/** How devices and their programs read on the devices screen and in the transfer wizard. */
import { plural } from '../../format.ts';

const PLATFORMS: Record<string, string> = {
  linux: 'Linux',
  darwin: 'macOS',
  macos: 'macOS',
  win32: 'Windows',
  windows: 'Windows',
};

/** The core reports Node's platform names; people know the product names. */
export const platformName = (platform: string) => PLATFORMS[platform.toLowerCase()] ?? platform;

export const programCount = (count: number) => plural(count, 'program');
