/**
 * @nerve/init: Weight initializers for nerve: Xavier/Glorot, He/Kaiming, LeCun, orthogonal, small random.
 */
export {};
