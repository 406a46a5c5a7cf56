// The pages of text (help, legal notice, personal data, accessibility,
// « Page introuvable »): only the header's signed-in state.

import { initChrome } from './ui.js';

initChrome();
