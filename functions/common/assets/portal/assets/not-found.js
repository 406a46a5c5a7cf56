// The page shown for an address that matches nothing: only the header's state.

import { initChrome } from './ui.js';

initChrome();
