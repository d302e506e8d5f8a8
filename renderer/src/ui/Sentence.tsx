/**
 * A sentence from the app (an error, a problem, a warning). The core, the shells and the
 * CLI share these sentences, and they mark commands the way a terminal reader expects:
 * in backticks (`npm start`). On screen a command is set as code, so no one sees, or
 * copies, a literal backtick.
 */
import { Fragment } from 'react';

/** The text split into plain runs and commands; an unpaired backtick is dropped. */
export function sentenceParts(text: string): Array<{ code: boolean; text: string }> {
  const runs = text.split('`');
  return runs
    .map((run, index) => ({
      // Odd runs sit between a pair of backticks; the last run is plain when its pair is missing.
      code: index % 2 === 1 && index < runs.length - 1,
      text: run,
    }))
    .filter((part) => part.text !== '');
}

export function Sentence({ text }: { text: string }) {
  return (
    <>
      {sentenceParts(text).map((part, index) =>
        part.code ? <code key={index}>{part.text}</code> : <Fragment key={index}>{part.text}</Fragment>,
      )}
    </>
  );
}
