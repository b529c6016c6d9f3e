/**
 * Example BSM-AgentOS plugin: small text utilities an agent may be allowed to call.
 *
 * Install: copy this file into BSM_PLUGINS_DIR (default ./plugins) and restart; then allow the
 * actions on an agent, e.g. `bsm agent create writer ... --action text.wordcount`.
 */
export default {
  name: 'text-tools',
  version: '1.0.0',
  actions: [
    {
      name: 'text.wordcount',
      description: 'Count the words, characters and lines of a text.',
      parameters: {
        type: 'object',
        additionalProperties: false,
        required: ['text'],
        properties: { text: { type: 'string', maxLength: 1000000 } },
      },
      handler(_ctx, { text }) {
        const words = text.trim() === '' ? 0 : text.trim().split(/\s+/u).length;
        return { words, characters: [...text].length, lines: text === '' ? 0 : text.split('\n').length };
      },
    },
    {
      name: 'text.slugify',
      description: 'Turn a title into a URL slug (lowercase ASCII letters, digits and dashes).',
      parameters: {
        type: 'object',
        additionalProperties: false,
        required: ['text'],
        properties: { text: { type: 'string', maxLength: 10000 } },
      },
      handler(_ctx, { text }) {
        const slug = text
          .normalize('NFKD')
          .replace(/[\u0300-\u036f]/g, '')
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, '-')
          .replace(/^-+|-+$/g, '');
        return { slug };
      },
    },
  ],
  hooks: {
    // Hooks see engine events; this one only logs. A hook that throws is logged, never fatal.
    'task:completed': (event) => {
      if (process.env.TEXT_TOOLS_DEBUG) console.log(`text-tools saw task ${event.taskId} complete`);
    },
  },
};
