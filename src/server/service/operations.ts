// The service is one object of operations gathered from its parts (organisations, pools, …). A
// plain spread would let a name defined in two parts silently replace the first: here two parts
// naming the same operation do not compile (the clash is named in the error).

/** The names that occur in more than one of the groups (never when there are none). */
type Clashes<T extends readonly object[], Seen extends PropertyKey = never> = T extends readonly [
  infer Head extends object,
  ...infer Rest extends readonly object[],
]
  ? Extract<keyof Head, Seen> | Clashes<Rest, Seen | keyof Head>
  : never;

type Merged<T extends readonly object[]> = T extends readonly [
  infer Head,
  ...infer Rest extends readonly object[],
]
  ? Head & Merged<Rest>
  : unknown;

/** The groups' operations as one object; a name in two groups is a type error. */
export const operations = <const T extends readonly object[]>(
  ...groups: T & ([Clashes<T>] extends [never] ? unknown : { clash: Clashes<T> })
): Merged<T> => Object.assign({}, ...groups) as Merged<T>;
