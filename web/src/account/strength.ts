/** What the strength meter and the blocklist check need, loaded on first use: the dictionaries weigh about a megabyte. */
export interface StrengthChecker {
  /** 0 (guessable at once) to 4 (very unguessable). */
  score(password: string, userInputs: string[]): number;
  /** On the list of common and breached passwords the server refuses (`@zxcvbn-ts/language-common`). */
  blocklisted(password: string): boolean;
}

let loading: Promise<StrengthChecker> | undefined;

export function loadStrengthChecker(): Promise<StrengthChecker> {
  loading ??= Promise.all([import('@zxcvbn-ts/core'), import('@zxcvbn-ts/language-common')]).then(([core, common]) => {
    const zxcvbn = new core.ZxcvbnFactory({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs });
    const blocklist = new Set(common.dictionary['passwords-common'].map((entry) => entry.toLowerCase()));
    return {
      score: (password, userInputs) => (password === '' ? 0 : zxcvbn.check(password.slice(0, 128), userInputs).score),
      blocklisted: (password) => blocklist.has(password.toLowerCase()),
    };
  });
  return loading;
}
